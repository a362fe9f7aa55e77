"""`course capstone grade DIR --jobs N`: a class of agents, each scored on the twelve factors, into one folder.

DIR holds one entry per learner, named by the learner: a `.py` file, a notebook, or a folder holding
`agent.py` or one notebook (autograder.rubric.score). Each is scored on the trusted path in its own sandboxed
worker, `jobs` at a time. OUT (default var/capstone/) receives:

  scores.csv          one row per learner: points, pass^1, pass^k, one column per factor, the seed, any note
  reports/NAME.md     the learner's scorecard: the factor table, and each failed probe's evidence and fix
  class.md            the factor-by-factor pass rates (a bar per factor) and one row per learner
  cards/NAME.json     the scorecard as data, and what it was scored from (for resuming)

Count in equals count out: an entry that cannot be read gets its row with the reason. Run again, only the
agents whose files (or the rubric) changed are scored again (`force`: all); with the same `seed`, a re-run
scores every agent exactly as before.
"""

from __future__ import annotations

import csv
import hashlib
import json
import multiprocessing
import sys
from collections.abc import Callable
from concurrent import futures
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import quote

from autograder.rubric.probe import FACTORS
from autograder.rubric.report import plain_line

__all__ = ["CapstoneClass", "grade_class"]

_RUBRIC = Path(__file__).parent


@dataclass(frozen=True)
class CapstoneClass:
    cards: dict[str, dict[str, Any]]  # learner -> the scorecard as data (as_json), or {"error": ...}
    scored: int                       # scored in this run (the rest were resumed)
    out: Path


def _entries(folder: Path) -> dict[str, Path]:
    """Learner name -> their agent's path: every visible file or folder in `folder`, by its stem."""
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder: give one holding an agent per learner (a .py file, a "
                         "notebook, or a folder with agent.py)")
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith((".", "_")) or not (path.is_dir() or path.suffix in (".py", ".ipynb")):
            continue
        name = path.stem if path.is_file() else path.name
        if name in found:
            raise ValueError(f"two agents for {name!r}: {found[name].name} and {path.name}; keep one")
        found[name] = path
    if not found:
        raise ValueError(f"{folder} holds no agent (.py files, notebooks, or folders with agent.py)")
    return found


def _digest(path: Path, k: int, seed: int | None) -> str:
    hasher = hashlib.sha256(f"{k}:{seed}".encode())
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    for item in [*files, *sorted(_RUBRIC.glob("*.py"))]:
        hasher.update(item.name.encode() + b"\0" + item.read_bytes())
    return hasher.hexdigest()


def _score(path: str, k: int, seed: int | None) -> dict[str, Any]:
    """One agent's scorecard as data (in a process of the pool), or the reason it has none."""
    from autograder.rubric.report import as_json, markdown
    from autograder.rubric.score import score_path

    try:
        card = score_path(Path(path), k=k, seed=seed)
    except ValueError as error:
        return {"error": str(error)}
    return {**as_json(card), "report": markdown(card, f"Capstone scorecard: {Path(path).stem}")}


def grade_class(folder: Path, out: Path, *, k: int = 3, jobs: int = 1, seed: int | None = None, force: bool = False,
                say: Callable[[str], None] | None = None) -> CapstoneClass:
    entries = _entries(Path(folder))
    (out / "cards").mkdir(parents=True, exist_ok=True)
    (out / "reports").mkdir(exist_ok=True)
    cards: dict[str, dict[str, Any]] = {}
    todo: dict[str, str] = {}
    for name, path in entries.items():
        digest, saved = _digest(path, k, seed), out / "cards" / f"{name}.json"
        if not force and saved.is_file():
            kept = json.loads(saved.read_text(encoding="utf-8"))
            if kept.get("digest") == digest:
                cards[name] = kept
                continue
        todo[name] = digest
    total, done = len(entries), len(cards)
    if say and done:
        say(f"{done} of {total} agent(s) unchanged since they were scored: kept")
    pool_of = (lambda: futures.ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"))
               ) if jobs > 1 else _InProcess
    with pool_of() as pool:
        running = {pool.submit(_score, str(entries[name]), k, seed): name for name in todo}
        for future in futures.as_completed(running):
            name = running[future]
            card = {**future.result(), "digest": todo[name], "learner": name}
            (out / "cards" / f"{name}.json").write_text(json.dumps(card, indent=1), encoding="utf-8")
            cards[name] = card
            done += 1
            if say:
                say(f"[{done}/{total}] {name}: " + (f"not scored: {card['error']}" if "error" in card else
                    f"{card['score']:g}/{card['max_score']:g}, pass^1 {card['pass1']:.0%}, pass^{k} {card['passk']:.0%}"))
    cards = dict(sorted(cards.items()))
    for name, card in cards.items():
        if "report" in card:
            (out / "reports" / f"{name}.md").write_text(card["report"], encoding="utf-8")
    _write_csv(out / "scores.csv", cards)
    (out / "class.md").write_text(_class_report(cards, k), encoding="utf-8")
    return CapstoneClass(cards, len(todo), out)


class _InProcess(futures.Executor):
    """`jobs=1`: the same loop, scored one after another in this process."""

    def submit(self, fn, /, *args, **kwargs):  # type: ignore[no-untyped-def]
        future: futures.Future[Any] = futures.Future()
        future.set_result(fn(*args, **kwargs))
        return future


def _write_csv(path: Path, cards: dict[str, dict[str, Any]]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["learner", "score", "max_score", "pass1", "passk", "k", *[f"f{n:02d}" for n in FACTORS],
                         "seed", "note"])
        for name, card in cards.items():
            if "error" in card:
                writer.writerow([name, "", "", "", "", "", *[""] * len(FACTORS), "", card["error"]])
                continue
            factors = card["factors"]
            writer.writerow([name, card["score"], card["max_score"], f"{card['pass1']:.3f}", f"{card['passk']:.3f}",
                             card["k"], *[factors.get(str(n), {}).get("score", "") for n in FACTORS], card["seed"],
                             "; ".join(card["notes"])])


def _bar(share: float, width: int = 20) -> str:
    filled = round(share * width)
    return "█" * filled + "░" * (width - filled)


def _class_report(cards: dict[str, dict[str, Any]], k: int) -> str:
    scored = {name: card for name, card in cards.items() if "error" not in card}
    lines = ["# Capstone: the class", "", f"{len(cards)} agent(s), {len(scored)} scored; k = {k} runs per probe.", "",
             "## Factor by factor", "", "Share of the class whose agent passed the factor's probe on every run "
             "(pass^k), and the share of all runs that passed (pass^1).", "", "```text"]
    for number, name in FACTORS.items():
        rows = [card["factors"].get(str(number)) for card in scored.values()]
        rows = [row for row in rows if row]
        passk = sum(row["passk"] for row in rows) / len(rows) if rows else 0.0
        pass1 = sum(row["pass1"] for row in rows) / len(rows) if rows else 0.0
        lines.append(f"{number:>2}. {name:<40} {_bar(passk)} {passk:>4.0%}  (pass^1 {pass1:.0%})")
    lines += ["```", "", "## Learners", "", "| Learner | Points | pass^1 | pass^k | Factors missed |", "|---|---:|---:|---:|---|"]
    for name, card in cards.items():
        if "error" in card:
            lines.append(f"| {plain_line(name)} | — | — | — | not scored: {plain_line(card['error'])} |")
            continue
        missed = ", ".join(n for n, row in card["factors"].items() if not row["passk"]) or "none"
        lines.append(f"| [{plain_line(name)}](reports/{quote(name)}.md) | {card['score']:g}/{card['max_score']:g} | {card['pass1']:.0%} | "
                     f"{card['passk']:.0%} | {missed} |")
    return "\n".join(lines) + "\n"


def printer(stream: TextIO = sys.stdout) -> Callable[[str], None]:
    return lambda line: print(line, file=stream, flush=True)
