"""Agents that ship with the course: the naive stage-0 agent the course starts from."""
