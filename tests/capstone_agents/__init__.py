"""Agents the capstone rubric is calibrated on: each file defines `agent` (the capstone protocol).

broken_*.py     the stage-12 agent broken on purpose in one factor (the factor is in the file name)
hostile_*.py    agents that attack the grading itself: loops, exits, floods, missing imports, snooping
scratch.py      an agent written from scratch against the protocol, on none of the course's stages
"""

from __future__ import annotations

import shutil
from pathlib import Path

HERE = Path(__file__).parent
STAGES = HERE.parent.parent / "stages"


def agent_folder(tmp: Path, source: str, *, stages: bool = True) -> Path:
    """A folder holding `source` as agent.py (a file name in this folder, or code), beside the course's stages."""
    tmp.mkdir(parents=True, exist_ok=True)
    code = (HERE / source).read_text(encoding="utf-8") if source.endswith(".py") else source
    (tmp / "agent.py").write_text(code, encoding="utf-8")
    for stage in sorted(STAGES.glob("stage_*.py")) if stages else ():
        shutil.copy(stage, tmp / stage.name)
    return tmp


def stage_agent(n: int) -> str:
    """agent.py for the course's agent after lesson n (0: the naive agent of lesson 01's start)."""
    module = "course.agents.naive" if n == 0 else f"stage_{n:02d}"
    return f"import {module} as stage\nfrom stage_13 import CourseAgent\n\nagent = CourseAgent(stage)\n"
