"""The rubric notebook (autograder/rubric/rubric.ipynb), the instructor's view: committed clean, and it runs top to
bottom on the fake model, showing the reference agent's full marks, a broken agent's evidence and a class."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOK = Path(__file__).parent.parent / "autograder" / "rubric" / "rubric.ipynb"


def _text(cell) -> str:  # type: ignore[no-untyped-def]
    out = []
    for output in cell.get("outputs", []):
        out.append(output.get("text", "") or output.get("data", {}).get("text/markdown", "")
                   or output.get("data", {}).get("text/plain", ""))
    return "\n".join(out)


def test_the_rubric_notebook_is_committed_clean() -> None:
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in nb.cells if c.cell_type == "code")


def test_the_rubric_notebook_scores_an_agent_and_a_class_top_to_bottom() -> None:
    nb = nbformat.read(str(NOTEBOOK), as_version=4)
    NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    texts = [_text(c) for c in nb.cells if c.cell_type == "code"]
    assert any("total" in t and "24/24" in t for t in texts), texts
    assert any("**22 / 24 points**" in t and "refund_over_the_limit_needs_approval" in t and "**Fix:**" in t
               for t in texts)
    assert any("4 agent(s), 4 scored" in t and "| [stage12](reports/stage12.md) | 24/24 |" in t for t in texts)
    charts = [o for c in nb.cells for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
    assert len(charts) == 2
