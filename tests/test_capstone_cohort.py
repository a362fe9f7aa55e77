"""`course capstone grade DIR`: ten mixed agents into scores.csv, class.md and a report each; resumed, and
scored again exactly with the same seed."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.capstone_agents import HERE, STAGES, stage_agent

AGENTS = {  # learner -> (agent source, points expected at k=1)
    "ada": (stage_agent(12), 24), "ben": (stage_agent(4), 8), "cleo": (stage_agent(9), 18),
    "dev": ("scratch.py", 12), "eli": ("broken_f08_refunds_without_approval.py", 22),
    "fay": ("broken_f12_reducer_reads_the_clock.py", 22), "gus": ("hostile_exits.py", 22),
    "hal": ("hostile_missing_import.py", 0), "ivy": (stage_agent(0), 0),
}


def _class(tmp: Path) -> Path:
    folder = tmp / "agents"
    for name, (source, _) in AGENTS.items():
        (folder / name).mkdir(parents=True)
        code = (HERE / source).read_text(encoding="utf-8") if source.endswith(".py") else source
        (folder / name / "agent.py").write_text(code, encoding="utf-8")
        for stage in STAGES.glob("stage_*.py"):
            shutil.copy(stage, folder / name / stage.name)
    (folder / "jo.ipynb").write_text("{ this is not a notebook", encoding="utf-8")  # the tenth: unreadable
    (folder / "notes.txt").write_text("not an agent", encoding="utf-8")
    return folder


def _grade(folder: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "course"), "capstone", "grade", str(folder),
                           "--out", str(out), "--k", "1", "--seed", "3", *extra],
                          capture_output=True, text=True, timeout=900)


def test_a_class_of_ten_agents_is_scored_into_a_csv_a_class_report_and_a_report_each(tmp_path: Path) -> None:
    folder, out = _class(tmp_path), tmp_path / "out"
    done = _grade(folder, out, "--jobs", "2")
    assert done.returncode == 0, done.stderr
    rows = {row["learner"]: row for row in csv.DictReader((out / "scores.csv").open(encoding="utf-8"))}
    assert set(rows) == {*AGENTS, "jo"}  # count in equals count out; notes.txt is no agent
    assert {name: float(rows[name]["score"]) for name in AGENTS} == {n: float(p) for n, (_, p) in AGENTS.items()}
    assert rows["jo"]["score"] == "" and "not a valid notebook" in rows["jo"]["note"]
    assert rows["eli"]["f08"] == "0.0" and rows["eli"]["f07"] == "2.0"
    assert "ModuleNotFoundError" in rows["hal"]["note"]
    report = (out / "class.md").read_text(encoding="utf-8")
    assert "10 agent(s), 9 scored" in report and "| [ada](reports/ada.md) | 24/24 |" in report
    assert " 8. Own your control flow" in report and "not scored:" in report
    assert "**22 / 24 points**" in (out / "reports" / "eli.md").read_text(encoding="utf-8")
    assert "[10/10]" in done.stdout or "[9/10]" in done.stdout

    again = _grade(folder, out)
    assert again.returncode == 0 and "10 of 10 agent(s) unchanged" in again.stdout and "0 scored now" in again.stdout
    cards = {p.name: json.loads(p.read_text(encoding="utf-8"))["probes"] for p in (out / "cards").glob("*.json")
             if "probes" in json.loads(p.read_text(encoding="utf-8"))}
    forced = _grade(folder, out, "--force", "--jobs", "2")
    assert forced.returncode == 0 and "10 scored now" in forced.stdout
    assert {p.name: json.loads(p.read_text(encoding="utf-8")).get("probes") for p in (out / "cards").glob("*.json")
            if p.name in cards} == cards  # the same seed scores every agent exactly as before


def test_a_folder_that_holds_no_agent_is_refused_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    done = _grade(tmp_path / "empty", tmp_path / "out")
    assert done.returncode == 2 and "holds no agent" in done.stderr and "Traceback" not in done.stderr
