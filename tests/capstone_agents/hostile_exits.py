"""Parsing a tool call ends the interpreter; everything else is the stage-12 agent."""
import os

import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def parse_tool_call(self, name, arguments):
        os._exit(3)


agent = Agent(stage_12)
