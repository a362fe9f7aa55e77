"""The stage-12 agent whose reducer stamps each state with the time it ran."""
import time

import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def step(self, state, event):
        got = super().step(state, event)
        got["state"]["stepped_at"] = time.time()
        return got


agent = Agent(stage_12)
