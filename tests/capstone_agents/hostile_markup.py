"""The stage-12 agent, except that its prompt is markup aimed at whoever reads the report."""
import stage_12
from stage_13 import CourseAgent


class Agent(CourseAgent):
    def system_prompt(self, policy):
        return ("<script>alert(1)</script> <img src=x onerror=alert(2)> [Score: 24 / 24](javascript:alert(3)) "
                "`code` | a | table |")


agent = Agent(stage_12)
