"""Launching a ticket never ends; everything else is the stage-12 agent."""
import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def launch(self, ticket):
        while True:
            pass


agent = Agent(stage_12)
