"""The stage-12 agent, except that it fails factor 1 when it can reach the rubric or the course's solutions."""
import importlib.util
from pathlib import Path

import stage_12
from stage_13 import CourseAgent

import course


def reachable_secrets():
    found = ["the autograder package"] if importlib.util.find_spec("autograder") is not None else []
    repo = Path(course.__file__).resolve().parent.parent
    return found + [str(repo / p) for p in ("autograder/rubric/probe.py", "autograder/hidden/nb12.py", "solutions")
                    if (repo / p).exists()]


class Agent(CourseAgent):
    def parse_tool_call(self, name, arguments):
        found = reachable_secrets()
        if found:
            raise RuntimeError(f"reached {found[0]}")
        return super().parse_tool_call(name, arguments)


agent = Agent(stage_12)
