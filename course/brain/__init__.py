"""`course.brain`: the shop brain, the fake model's default policy, so the agent really works offline.

A policy speaks the model's side (`course.llm`: `ChatRequest` in, `Reply` out) about the shop's
world (`course.shop`: its tools and tickets), so it sits above both: `course.shop` depends on
nothing else in the course, and `course.llm` reaches the brain only as its default policy.

    from course.brain import shop_brain
    FakeModel(shop_brain)
"""

from .policy import shop_brain

__all__ = ["shop_brain"]
