"""Agents that ship with the course: the naive stage-0 agent the course starts from."""

__all__: list[str] = []  # import the agents by module: course.agents.naive, course.agents.demo
