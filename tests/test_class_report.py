"""The class report counts learners (not test results), groups one message said with different numbers, says in
its charts' alt text what they show, and lists every learner, lowest score first."""

from __future__ import annotations

import re
from pathlib import Path

from autograder.cohort import report

LESSON = "05-unify-execution-and-business-state"


def _class(n: int = 12) -> list[report.LessonRow]:
    rows = []
    for i in range(n):
        order = 1000 + i
        tests = (  # three tests fail each learner with one message shape, said with their own order number
            report.TestRow("append_event", "failed", 0, 2, f"append_event returned {i}, not the position {i + 1}"),
            report.TestRow("load_thread", "failed", 0, 2, f"load_thread('ticket-{order}') raised ThreadNotFound"),
            report.TestRow("status_of", "failed" if i % 2 else "passed", 0 if i % 2 else 2, 2,
                    f"status_of gave 'working' for order {order}" if i % 2 else ""),
        )
        rows.append(report.LessonRow(f"learner{i:02d}", LESSON, "graded", sum(t.score for t in tests), 6, "", tests))
    return rows


def _page(tmp_path: Path, rows: list[report.LessonRow]) -> str:
    return report.write_report(rows, tmp_path / "report.html").read_text(encoding="utf-8")


def test_a_message_said_with_different_numbers_is_one_row_counting_each_learner_once(tmp_path: Path) -> None:
    page = _page(tmp_path, _class(12))
    table = page[page.index("<th>learners</th><th>message"):]
    counts = [int(n) for n in re.findall(r"<tr><td>(\d+)</td><td>", table.split("</table>")[0])]
    assert counts == [12, 12, 6]  # three shapes: 12, 12 and 6 learners, never 36 test results
    assert table.count("append_event returned") == 1 and table.count("load_thread(") == 1


def test_every_learner_has_a_row_lowest_score_first(tmp_path: Path) -> None:
    page = _page(tmp_path, _class(12))
    learners = re.findall(r"<tr><td>(learner\d\d)</td><td>([\d.]+) / 6</td>", page)
    assert len(learners) == 12
    assert [float(score) for _, score in learners] == sorted(float(score) for _, score in learners)
    assert "Score distribution (12 learners)" in page


def test_each_chart_says_what_it_shows_in_its_alt_text(tmp_path: Path) -> None:
    page = _page(tmp_path, _class(4))
    alts = re.findall(r'<img alt="([^"]*)"', page)
    assert len(alts) == 4 and "chart" not in alts
    assert any("Pass rate per test" in alt and "status_of: 50%" in alt for alt in alts)
    assert any("learners per score band" in alt for alt in alts)
    assert "<script" not in page


def test_each_chart_has_its_numbers_as_a_table_under_it(tmp_path: Path) -> None:
    page = _page(tmp_path, _class(4))
    assert page.count("<details><summary>") == 4  # one per chart
    per_test = page[page.index("Pass rate per test: the data"):].split("</details>")[0]
    assert re.findall(r"<tr><td>([a-z_]+)</td><td>(\d+%)</td></tr>", per_test) == [
        ("append_event", "0%"), ("load_thread", "0%"), ("status_of", "50%")]
    bands = page[page.index("Score distribution (4 learners): the data"):].split("</details>")[0]
    assert "<tr><td>30-40%</td><td>2</td></tr>" in bands and bands.count("<tr><td>") == 10


def test_the_integrity_flags_are_listed_for_a_person_to_judge_escaped(tmp_path: Path) -> None:
    from autograder.cohort.integrity import Flag

    flags = [Flag("learner00", LESSON, "identical", "answer cells identical <b>once</b> normalised", "learner01")]
    page = report.write_report(_class(4), tmp_path / "report.html", flags=flags).read_text(encoding="utf-8")
    table = page[page.index("Integrity: hand-ins to look at twice"):]
    assert "<td>learner00</td><td>identical</td><td>learner01</td>" in table and "&lt;b&gt;once&lt;/b&gt;" in table
    assert report.integrity_notes(flags) == {("learner00", LESSON): "identical with learner01",
                                             ("learner01", LESSON): "identical with learner00"}
