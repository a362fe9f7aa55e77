"""The integrity report of one lesson: which hand-ins a person should look at twice.

    flags = integrity_flags(root, "05-unify-execution-and-business-state", {"alice": path, "bob": path})
    write_integrity(flags, root / "var" / "integrity.csv")    # student, lesson, kind, other, detail

Why: the grader scores what a notebook does, so it cannot see that two learners handed in one answer,
that a learner handed in the instructor's own notebook, or that the answers are the reference agent
pasted from `stages/`. Each Flag is a lead for a person to judge, with one line saying what was seen;
it never changes a score.

  identical        two learners' answer cells, concatenated in the lesson's order, are the same once
                   names, strings, comments and whitespace are normalised (copydetect's filter)
  similar          both learners' answers are mostly made of the same winnowed fingerprints
                   (copydetect: MOSS-style, k-grams of the normalised code)
  solution-markers a cell holds `BEGIN SOLUTION` or `BEGIN HIDDEN TESTS` (or their ENDs): the lesson's
                   source notebook handed in
  reference-code   most of the learner's own answer lines are, verbatim, lines of `stages/stage_NN.py`
                   (this lesson's stage or a later one: what learners of later lessons are given)

What every learner starts from never counts: the release's cells (answer stubs, given code, checks)
and the stages it ships are copydetect's boilerplate, and their lines are left out of the verbatim
check. An answer cell left as its stub is left out; a learner who answered nothing is not compared,
so blank hand-ins are never a pair. A notebook that cannot be read is skipped (logged), and the
rest are compared all the same.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

import nbformat
import numpy as np
from copydetect import CodeFingerprint  # type: ignore[import-untyped]

from autograder.grade.plan import cell_kind, cell_meta, cell_source, read_submission
from course.grading.layout import Lesson, find_lesson

__all__ = ["CSV_HEADER", "KINDS", "MARKERS", "MIN_LINE", "MIN_LINES", "MIN_TOKENS", "NOISE", "REFERENCE_SHARE",
           "SIMILAR", "Flag", "integrity_flags", "write_integrity"]

log = logging.getLogger(__name__)

KINDS = ("identical", "similar", "solution-markers", "reference-code")
CSV_HEADER = ["student", "lesson", "kind", "other", "detail"]
MARKERS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS")
# Calibrated on lesson 05 (tests/test_integrity.py): the reference answers renamed and reformatted are identical;
# each wrong answer of tests/wrong_answers/nb05.py (the reference with one cell changed) is 0.78-1.0 similar to
# them; answers written independently are 0.30 similar, 0.52-0.54 when both paste all the given code and stages.
# 100 characters is about two lines of one's own: the forced three-line answer (`act`, 57) never pairs, `fork_thread`
# alone (148) does. The reference answers have all their long lines in the stage, independent answers none.
NOISE = 25             # k: characters of normalised code per fingerprint (copydetect's default noise threshold)
SIMILAR = 0.8          # a pair is similar when each side has at least this share of its code in the other's k-grams
MIN_TOKENS = 100       # ... and both have this many characters of normalised code outside the boilerplate in common
MIN_LINE = 20          # the verbatim check reads the learner's lines at least this long (stripped), not given ...
MIN_LINES = 5          # ... and flags at least this many found in a reference stage ...
REFERENCE_SHARE = 0.8  # ... making at least this share of those lines


@dataclass(frozen=True)
class Flag:
    student: str
    lesson: str
    kind: str      # one of KINDS
    detail: str    # one line for a person to judge
    other: str = ""  # the other learner, for a pair


@dataclass(frozen=True)
class _Lesson:
    """What one lesson gives every learner, and the reference they must not paste."""

    slug: str
    order: tuple[str, ...]            # answer cells' grade ids, in the source's order
    stubs: Mapping[str, str]          # grade id -> the release's stub
    boilerplate: Any                  # copydetect hashes of the release and the stages it ships
    given_lines: frozenset[str]       # stripped lines of the same
    stages: Mapping[str, frozenset[str]]  # "stages/stage_NN.py" -> its stripped lines, NN >= this lesson's


@dataclass(frozen=True)
class _Hand:
    """One learner's answers, fingerprinted once: every pair reads these."""

    student: str
    fingerprint: Any      # copydetect.CodeFingerprint of the answers, the boilerplate's k-grams dropped
    positions: Any        # np.ndarray: where each k-gram kept starts in the normalised code, in order ...
    hashes: list[int]     # ... and its hash


def _hand(student: str, text: str, boilerplate: Any) -> _Hand:
    printed = _fingerprint(text, boilerplate)
    found = sorted((at, int(h)) for h, starts in printed.hash_idx.items() for at in starts)
    return _Hand(student, printed, np.array([at for at, _ in found], dtype=np.int64), [h for _, h in found])


def integrity_flags(root: Path, slug: str, notebooks: Mapping[str, Path]) -> list[Flag]:
    """notebooks: student id -> that learner's submitted notebook for lesson `slug`."""
    lesson = _lesson(find_lesson(slug, root))
    flags: list[Flag] = []
    hands: list[_Hand] = []
    for student in sorted(notebooks):
        cells, problem = read_submission(notebooks[student])
        if cells is None:
            log.warning("integrity: %s's %s is skipped: %s", student, slug, problem)
            continue
        flags += _markers(student, slug, cells)
        text = _answer_text(cells, lesson)
        if text:
            flags += _reference(student, text, lesson)
            hands.append(_hand(student, text, lesson.boilerplate))
    flags += _copies(hands, slug)
    return sorted(flags, key=lambda f: (f.student, KINDS.index(f.kind), f.other))


def write_integrity(flags: Sequence[Flag], path: Path) -> Path:
    """The flags as a CSV (CSV_HEADER), one row each; the header alone when there are none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(CSV_HEADER)
        for flag in flags:
            writer.writerow([flag.student, flag.lesson, flag.kind, flag.other, flag.detail])
    return path


# --- the lesson ---------------------------------------------------------------------------------------

def _lesson(lesson: Lesson) -> _Lesson:
    source = nbformat.read(str(lesson.source), as_version=4)
    release = nbformat.read(str(lesson.release), as_version=4)
    order = tuple(cell_meta(cell)["grade_id"] for cell in source.cells if cell_kind(cell) == "answer" and cell_meta(cell).get("grade_id"))
    stubs = {gid: _cell(release.cells, gid) for gid in order}
    given = "\n\n".join([cell_source(cell) for cell in release.cells if cell.get("cell_type") == "code"]
                        + [path.read_text(encoding="utf-8") for path in sorted(lesson.release_dir.glob("*.py"))])
    boilerplate = np.array(sorted(_fingerprint(given, []).hashes), dtype=np.int64)
    return _Lesson(lesson.slug, order, stubs, boilerplate, _lines(given), _stages(lesson))


def _stages(lesson: Lesson) -> dict[str, frozenset[str]]:
    """This lesson's stage and every later one that exists: the reference code a learner could paste."""
    found = {}
    for path in sorted((lesson.root / "stages").glob("stage_[0-9][0-9].py")):
        if int(path.stem[-2:]) >= lesson.number:
            found[f"stages/{path.name}"] = _lines(path.read_text(encoding="utf-8"))
    return found


def _lines(text: str) -> frozenset[str]:
    return frozenset(line.strip() for line in text.splitlines() if len(line.strip()) >= MIN_LINE)


def _cell(cells: Sequence[Any], grade_id: str) -> str:
    """The text of the first cell with this grade id (as the grader matches cells), "" when there is none."""
    cell = next((c for c in cells if cell_meta(c).get("grade_id") == grade_id), None)
    return cell_source(cell) if cell is not None and cell.get("cell_type") == "code" else ""


def _answer_text(cells: Sequence[Any], lesson: _Lesson) -> str:
    """The learner's answer cells in the lesson's order, leaving out those still as their stub."""
    answers = {gid: _cell(cells, gid) for gid in lesson.order}
    return "\n\n".join(text for gid, text in answers.items() if text.strip() and text.strip() != lesson.stubs[gid].strip())


def _fingerprint(text: str, boilerplate: Any) -> Any:
    """copydetect's fingerprint of `text` (Python), every k-gram kept (window 1), those of `boilerplate` dropped."""
    return CodeFingerprint("answers.py", NOISE, 1, boilerplate=boilerplate, filter=True, fp=io.StringIO(text))


# --- the checks ---------------------------------------------------------------------------------------

def _markers(student: str, slug: str, cells: Sequence[Any]) -> list[Flag]:
    seen = {marker: sum(marker in cell_source(cell) for cell in cells) for marker in MARKERS}
    if not any(seen.values()):
        return []
    said = ", ".join(f"{marker} in {count} cell{'s' if count > 1 else ''}" for marker, count in seen.items() if count)
    return [Flag(student, slug, "solution-markers", f"the notebook holds the instructor's markers ({said}): "
                                                    "the lesson's source notebook handed in?")]


def _reference(student: str, text: str, lesson: _Lesson) -> list[Flag]:
    """A flag when most of the learner's own lines (long enough, not given) are verbatim in a reference stage."""
    own = _lines(text) - lesson.given_lines
    hits = {name: own & lines for name, lines in lesson.stages.items()}
    found: frozenset[str] = frozenset().union(*hits.values())
    if len(found) < MIN_LINES or len(found) < REFERENCE_SHARE * len(own):
        return []
    where = sorted((name for name in hits if hits[name]), key=lambda name: -len(hits[name]))
    said = ", ".join(where[:3]) + (f" and {len(where) - 3} more" if len(where) > 3 else "")
    return [Flag(student, lesson.slug, "reference-code",
                 f"{len(found)} of {len(own)} answer lines (of {MIN_LINE}+ characters, not given in the release) "
                 f"are verbatim in {said}")]


def _copies(hands: Sequence[_Hand], slug: str) -> list[Flag]:
    """One flag per pair whose answers are the same (normalised) or share most of their fingerprints."""
    hands = [hand for hand in hands if hand.fingerprint.token_coverage >= MIN_TOKENS]  # too little of their own
    shares = _shares(hands)
    flags = []
    for i, j in combinations(range(len(hands)), 2):
        one, two = hands[i], hands[j]
        if one.fingerprint.filtered_code == two.fingerprint.filtered_code:
            flags.append(Flag(one.student, slug, "identical",
                              f"answer cells identical to learner {two.student}'s once names and whitespace are "
                              f"normalised ({int(one.fingerprint.token_coverage)} characters of code outside the "
                              "release)", two.student))
        elif min(shares[i, j], shares[j, i]) >= SIMILAR:
            common = int(min(shares[i, j] * one.fingerprint.token_coverage, shares[j, i] * two.fingerprint.token_coverage))
            if common >= MIN_TOKENS:
                flags.append(Flag(one.student, slug, "similar",
                                  f"answer cells {shares[i, j]:.0%} the same as learner {two.student}'s, theirs "
                                  f"{shares[j, i]:.0%} (winnowing, k={NOISE}, names normalised; {common} characters "
                                  "in common)", two.student))
    return flags


def _shares(hands: Sequence[_Hand]) -> Any:
    """shares[i, j]: the part of learner i's answers inside k-grams learner j's answers have too.

    copydetect's compare_files similarity, for every pair: compare_files builds its arrays again for each
    pair (25 s for 200 learners); here each learner is one pass, against all the others at once.
    """
    lists: dict[int, list[int]] = {}
    for j, hand in enumerate(hands):
        for h in set(hand.hashes):
            lists.setdefault(h, []).append(j)
    owners = {h: np.array(js) for h, js in lists.items()}
    shares = np.zeros((len(hands), len(hands)))
    for i, hand in enumerate(hands):
        has = np.zeros((len(hand.hashes), len(hands)), dtype=bool)  # has[k-gram, learner]
        for row, h in enumerate(hand.hashes):
            has[row, owners[h]] = True
        shares[i] = _covered(hand.positions, has) / hand.fingerprint.token_coverage
    return shares


def _covered(positions: Any, has: Any) -> Any:
    """For each column of `has`, the characters that the k-grams it marks cover (get_copied_slices's total):
    a marked k-gram covers up to NOISE characters, or up to where the next marked one starts."""
    far = positions[-1] + NOISE
    starts = np.where(has, positions[:, None], far)
    following = np.minimum.accumulate(starts[::-1], axis=0)[::-1]  # the first marked start at or after each row
    following = np.vstack([following[1:], np.full((1, has.shape[1]), far)])
    return np.where(has, np.minimum(NOISE, following - positions[:, None]), 0).sum(axis=0)
