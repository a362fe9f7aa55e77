"""Writing the system prompt floods the output with 40 MB first; everything is the stage-12 agent."""
import sys

import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def system_prompt(self, policy):
        for _ in range(40):
            sys.stdout.write("x" * 1_000_000 + "\n")
        return super().system_prompt(policy)


agent = Agent(stage_12)
