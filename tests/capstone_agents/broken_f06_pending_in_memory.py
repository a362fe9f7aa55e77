"""The stage-12 agent that remembers which threads wait for a person in memory: a restart forgets them."""
import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def __init__(self, stage):
        super().__init__(stage)
        self.waiting = set()

    def launch(self, ticket):
        thread_id = super().launch(ticket)
        if self.thread(thread_id)["status"] == "waiting":
            self.waiting.add(thread_id)
        return thread_id

    def resume(self, thread_id, answer):
        if thread_id not in self.waiting:
            raise ValueError(f"thread {thread_id} is not waiting for anyone")
        self.waiting.discard(thread_id)
        return super().resume(thread_id, answer)


agent = Agent(stage_12)
