"""Score one agent on the twelve factors, on the trusted path: its code in a sandboxed worker, the probes, the
fake model and the shop database here.

    card = score_path(Path("my_agent/agent.py"), k=3, seed=7)
    card.score, card.max_score, card.factors()

PATH is a Python file or a notebook whose code defines `agent` (an object with the capstone protocol's
methods, course.capstone), or a folder holding `agent.py` or one notebook. The other files of its folder
(its modules, the course's `stage_NN.py`) go with it into the worker, as a lesson's files do.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path

from autograder.boundary.remote import Learner
from autograder.boundary.sandbox import Limits, Sandbox
from autograder.boundary.session import LearnerSession
from autograder.grade.plan import read_submission
from autograder.hidden import grading_seed
from autograder.rubric.engine import ProbeResult, RunResult, run_probe
from autograder.rubric.probe import FACTORS, PROBES, Probe
from course.worker.values import short_text

__all__ = ["LIMITS", "Scorecard", "agent_cells", "all_probes", "score_cells", "score_path"]

LIMITS = Limits(call_seconds=30, submission_seconds=420)  # an agent that loops loses its probes, not the batch
_MODULES = ("factors_1_4", "factors_5_8", "factors_9_12")


def all_probes() -> list[Probe]:
    """Every probe, by factor."""
    for name in _MODULES:
        importlib.import_module(f"autograder.rubric.{name}")
    return sorted(PROBES.values(), key=lambda p: (p.factor, p.name))


@dataclass
class Scorecard:
    """One agent's results: every probe's runs, and what the grading noticed on the way."""

    results: list[ProbeResult]
    k: int
    seed: int
    notes: list[str] = field(default_factory=list)
    sandbox: str = ""

    @property
    def score(self) -> float:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> float:
        return sum(r.probe.points for r in self.results)

    @property
    def pass1(self) -> float:
        return sum(r.pass1 for r in self.results) / len(self.results) if self.results else 0.0

    @property
    def passk(self) -> float:
        return sum(r.passk for r in self.results) / len(self.results) if self.results else 0.0

    def factor(self, number: int) -> list[ProbeResult]:
        return [r for r in self.results if r.probe.factor == number]

    def factors(self) -> dict[int, tuple[float, float, float, float]]:
        """Per factor: (score, max score, pass^1, pass^k)."""
        out = {}
        for number in FACTORS:
            rs = self.factor(number)
            if rs:
                out[number] = (sum(r.score for r in rs), sum(r.probe.points for r in rs),
                               sum(r.pass1 for r in rs) / len(rs), sum(r.passk for r in rs) / len(rs))
        return out


def agent_cells(path: Path) -> tuple[list[str], Path]:
    """The code to run for the agent at `path`, and the folder whose files go with it. Raises ValueError."""
    path = Path(path)
    if path.is_dir():
        notebooks = sorted(p for p in path.glob("*.ipynb") if not p.name.startswith("."))
        if (path / "agent.py").is_file():
            path = path / "agent.py"
        elif len(notebooks) == 1:
            path = notebooks[0]
        else:
            raise ValueError(f"{path} holds neither agent.py nor exactly one notebook: point at the file that "
                             "defines `agent`")
    if not path.is_file():
        raise ValueError(f"{path} does not exist: give a .py file, a notebook, or a folder with agent.py")
    if path.suffix == ".py":
        return [path.read_text(encoding="utf-8")], path.parent
    if path.suffix == ".ipynb":
        cells, problem = read_submission(path)
        if cells is None:
            raise ValueError(f"{path}: {problem}")
        return [_source(c) for c in cells if c.get("cell_type") == "code"], path.parent
    raise ValueError(f"{path} is neither a .py file nor a notebook (.ipynb)")


def _source(cell: dict) -> str:  # type: ignore[type-arg]
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def score_path(path: Path, *, k: int = 3, seed: int | None = None, limits: Limits | None = None,
               sandbox: Sandbox | None = None, only: list[str] | None = None) -> Scorecard:
    cells, files = agent_cells(path)
    return score_cells(cells, files, k=k, seed=seed, limits=limits, sandbox=sandbox, only=only)


def score_cells(cells: list[str], files: Path | None, *, k: int = 3, seed: int | None = None,
                limits: Limits | None = None, sandbox: Sandbox | None = None, only: list[str] | None = None) -> Scorecard:
    """Run `cells` in a worker, then every probe (or those whose id starts with one of `only`), each in a fork."""
    seed = grading_seed() if seed is None else seed
    probes = [p for p in all_probes() if not only or any(p.id.startswith(o) for o in only)]
    card = Scorecard([], k, seed)
    with LearnerSession(files, limits=limits or LIMITS, sandbox=sandbox) as session:
        for number, cell in enumerate(cells, 1):
            answer = session.run_cell(cell)
            if "raised" in answer:
                raised = answer["raised"] if isinstance(answer["raised"], dict) else {}
                card.notes.append(f"code cell {number} raised {short_text(str(raised.get('type', '')), 60)}: "
                                  f"{short_text(str(raised.get('message', '')), 200)}")
            elif "died" in answer:
                card.notes.append(f"code cell {number} stopped the worker: {answer['died']}")
        for p in probes:
            if session.out_of_time:
                card.results.append(ProbeResult(p, (RunResult("failed", f"not run: time limit ({session.time_limit})"),)))
                continue
            with session.fork() as test:
                card.results.append(run_probe(p, Learner(test), seed, k))
        card.sandbox = session.sandbox.describe()
    return card
