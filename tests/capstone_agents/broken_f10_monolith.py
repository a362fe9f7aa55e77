"""The stage-12 agent whose focused agents are each offered every tool: a monolith again."""
import stage_12
from stage_13 import CourseAgent

everything = tuple(name for name in stage_12.AGENT_INTENTS if name != "done")
for name in stage_12.TOOLS_OF:
    stage_12.TOOLS_OF[name] = everything
agent = CourseAgent(stage_12)
