"""A scorecard as a learner or an instructor reads it: a terminal table, a markdown report, JSON.

Every view gives, per factor, the points, pass^1 (the share of runs that passed) and pass^k (the share of
probes that passed every run), and for each probe that did not pass: the first failing run's message, its
evidence (what was sent, what happened, the model's last calls) and one sentence on what to fix.
"""

from __future__ import annotations

from typing import Any

from autograder.rubric.engine import ProbeResult
from autograder.rubric.probe import FACTORS
from autograder.rubric.score import Scorecard

__all__ = ["as_json", "markdown", "plain_line", "table"]


def _mark(result: ProbeResult) -> str:
    return {"passed": "pass", "failed": "FAIL", "not-implemented": "missing", "unscored": "unscored"}[result.status]


def table(card: Scorecard) -> str:
    """The terminal view: one line per factor, then what to fix."""
    lines = [f"{'factor':<44} {'points':>7} {'pass^1':>7} {'pass^' + str(card.k):>7}  result"]
    for number, (score, most, pass1, passk) in card.factors().items():
        results = card.factor(number)
        lines.append(f"{number:>2}. {FACTORS[number]:<40} {score:>3g}/{most:<3g} {pass1:>7.0%} {passk:>7.0%}  "
                     + ", ".join(_mark(r) for r in results))
    lines.append(f"{'total':<44} {card.score:>3g}/{card.max_score:<3g} {card.pass1:>7.0%} {card.passk:>7.0%}")
    lines.append(f"(k = {card.k} runs per probe, seed {card.seed}; points need every run to pass)")
    for result in card.results:
        problem = result.first_problem
        if problem is not None:
            said = problem.message.removeprefix("not implemented: ")
            lines += ["", f"{result.probe.id} — {_mark(result)}: {said}", f"  fix: {result.probe.fix}"]
    lines += [f"note: {note}" for note in card.notes]
    return "\n".join(lines)


def plain_line(text: str) -> str:
    """One line of markdown that shows `text` and nothing more: what an agent said can hold no tag, link or code."""
    return " ".join(str(text).replace("<", "&lt;").replace("|", "\\|").replace("`", "'").replace("[", "\\[").replace("]", "\\]").split())


def markdown(card: Scorecard, title: str = "Capstone scorecard") -> str:
    """The report a learner receives: the factor table, then each probe that did not pass with its evidence."""
    out = [f"# {title}", "", f"**{card.score:g} / {card.max_score:g} points** · pass^1 {card.pass1:.0%} · "
           f"pass^{card.k} {card.passk:.0%} · k = {card.k}, seed {card.seed}", "",
           "| Factor | Points | pass^1 | pass^k | Probes |", "|---|---:|---:|---:|---|"]
    for number, (score, most, pass1, passk) in card.factors().items():
        probes = ", ".join(f"`{r.probe.name}` {_mark(r)}" for r in card.factor(number))
        out.append(f"| {number}. {FACTORS[number]} | {score:g}/{most:g} | {pass1:.0%} | {passk:.0%} | {probes} |")
    failing = [r for r in card.results if r.first_problem is not None]
    if failing:
        out += ["", "## What to fix", ""]
    for result in failing:
        problem = result.first_problem
        assert problem is not None
        out += [f"### {result.probe.factor}. {FACTORS[result.probe.factor]}: `{result.probe.name}` ({result.status})",
                "", f"{plain_line(problem.message)}", "", f"**Fix:** {result.probe.fix}", ""]
        evidence = problem.evidence
        for part in ("sent", "happened"):
            for key, value in (evidence.get(part) or {}).items():
                out.append(f"- {part} · {plain_line(key)}: {plain_line(value)}")
        out += [f"- model · {plain_line(line)}" for line in evidence.get("transcript") or []]
        out.append("")
    if card.notes:
        out += ["## Notes", ""] + [f"- {plain_line(note)}" for note in card.notes]
    return "\n".join(out).rstrip() + "\n"


def as_json(card: Scorecard) -> dict[str, Any]:
    """Everything, as plain data (`course capstone score --json`)."""
    return {
        "score": card.score, "max_score": card.max_score, "pass1": card.pass1, "passk": card.passk, "k": card.k,
        "seed": card.seed, "notes": card.notes, "sandbox": card.sandbox,
        "factors": {str(n): {"name": FACTORS[n], "score": s, "max_score": m, "pass1": p1, "passk": pk}
                    for n, (s, m, p1, pk) in card.factors().items()},
        "probes": [{"id": r.probe.id, "factor": r.probe.factor, "status": r.status, "score": r.score,
                    "max_score": r.probe.points, "pass1": r.pass1, "passk": r.passk, "fix": r.probe.fix,
                    "runs": [{"status": run.status, "message": run.message, "evidence": run.evidence} for run in r.runs]}
                   for r in card.results],
    }
