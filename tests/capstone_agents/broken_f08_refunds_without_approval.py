"""The stage-12 agent without its guard: a refund the model asks for is made, whatever the amount."""
import stage_12
from stage_13 import CourseAgent

stage_12.guard = lambda intent, thread, policy: intent
agent = CourseAgent(stage_12)
