"""The capstone: the protocol an agent implements to be scored on the twelve factors (docs/capstone.md).

The course's own agent meets it through lesson 13's classes (`CourseAgent(stage_12)`); the rubric that scores
it is the grader's (autograder.rubric).
"""

from .protocol import STATUSES, Json, Status, SupportAgent

__all__ = ["STATUSES", "Json", "Status", "SupportAgent"]
