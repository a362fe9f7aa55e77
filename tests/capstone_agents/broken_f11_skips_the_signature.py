"""The stage-12 agent whose webhook trusts any delivery: the signature and its time are never checked."""
import json

import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def receive_webhook(self, headers, body, secret, now):
        payload = json.loads(body)
        ticket = stage_12.Ticket.model_validate(payload["ticket"])
        origin = stage_12.Origin.model_validate(payload["reply_to"])
        return {"accepted": True, "thread_id": stage_12.trigger(ticket, origin, headers.get("webhook-id"))}


agent = Agent(stage_12)
