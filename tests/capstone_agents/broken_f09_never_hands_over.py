"""The stage-12 agent that never hands a thread to a person, however many errors in a row."""
import stage_12
from stage_13 import CourseAgent

stage_12.MAX_ERRORS = 1_000
agent = CourseAgent(stage_12)
