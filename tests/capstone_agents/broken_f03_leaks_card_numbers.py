"""The stage-12 agent with redaction switched off: card numbers reach the model's context."""
import stage_03
import stage_12
from stage_13 import CourseAgent

stage_03.redact = lambda text: text
agent = CourseAgent(stage_12)
