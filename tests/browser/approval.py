"""The approval-card notebook the browser test runs: lesson 07's agent, paused on Daniel's $899 refund.

Lesson 07 is not in the course yet, so the card comes from the draft of its stage (the spine the
lesson is written from). When lesson 07 lands, `make release` generates stages/stage_07.py from it:
then set STAGES = ROOT / "stages" below, the one line to change, and the same test and screenshot
run on the real lesson's agent.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[2]
STAGES = Path("/work/dev/spine")  # lesson 07's draft stages (05-07); with the real lesson 07: ROOT / "stages"

CELLS = [
    "from stage_07 import *\nfrom course.shop import SCENARIOS, current_shop",
    'thread_id = launch(SCENARIOS["large_refund"].ticket)  # Daniel\'s $899 TV: above the approval limit\n'
    'print(thread_id, status_of(load_thread(thread_id)), "shop:", current_shop().path)',
    "approval_card(thread_id)",
]
# Run after Approve: the thread as it ends, and the model calls that resumed it.
AFTER_CELL = ("from course.widgets import run_trace, thread_viewer\n\n"
              "thread = load_thread(thread_id)\ndisplay(thread_viewer(thread, status_of(thread)))\nrun_trace(last=2)")


def stage_07_available() -> bool:
    return (STAGES / "stage_07.py").exists() or (ROOT / "stages" / "stage_07.py").exists()


def write_notebook(folder: Path) -> Path:
    """`folder/approval.ipynb` and the stages it imports (the course's, then lesson 07's from STAGES)."""
    folder.mkdir(parents=True, exist_ok=True)
    for source in (ROOT / "stages", STAGES):
        for stage in sorted(source.glob("stage_[0-9][0-9].py")):
            shutil.copy(stage, folder / stage.name)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in CELLS])
    nb.metadata["kernelspec"] = {"display_name": "Python 3", "language": "python", "name": "python3"}
    path = folder / "approval.ipynb"
    nbformat.write(nb, str(path))
    return path
