"""What the integrity report adds to a cohort run.

    python -m benchmarks.integrity [N]      # N lesson-05 hand-ins (default 200)

A class of N hand-ins of lesson 05 in nbgrader's layout, in turn: the reference answers, the same renamed and
reformatted, answers written independently, a blank release, the reference stage pasted, the reference with
one exercise answered independently (tests/test_integrity.py's answers). `integrity_flags` over the class
(median of 3) against the baseline in the same script: copydetect's own `compare_files` on every pair, the
fingerprints made once.
"""

from __future__ import annotations

import sys
import tempfile
import time
from functools import partial
from itertools import combinations
from pathlib import Path

from copydetect import compare_files  # type: ignore[import-untyped]

from autograder.cohort import integrity
from autograder.cohort.integrity import integrity_flags
from autograder.grade.plan import read_submission
from course.grading.layout import REPO_ROOT, find_lesson
from tests.test_integrity import INDEPENDENT, SLUG, _disguised, _hand_in, _reference, _stage_cells

from .timing import median_seconds


def _class(root: Path, n: int) -> dict[str, Path]:
    reference = _reference()
    mixed = [{**reference, gid: answer} for gid, answer in INDEPENDENT.items() if gid in reference]
    kinds = [reference, {gid: _disguised(a) for gid, a in reference.items()}, INDEPENDENT, {}, _stage_cells()]
    return {f"learner{i:03d}": _hand_in(root, f"learner{i:03d}", (kinds + mixed)[i % (len(kinds) + len(mixed))])
            for i in range(n)}


def report(n: int = 200, repeat: int = 3) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        notebooks = _class(Path(tmp), n)
        seconds = median_seconds(partial(integrity_flags, REPO_ROOT, SLUG, notebooks), repeat)
        flags = integrity_flags(REPO_ROOT, SLUG, notebooks)
        lesson = integrity._lesson(find_lesson(SLUG, REPO_ROOT))
        texts = {s: integrity._answer_text(read_submission(p)[0] or [], lesson) for s, p in notebooks.items()}
        hands = [integrity._hand(s, text, lesson.boilerplate) for s, text in texts.items() if text]
        prints = [hand.fingerprint for hand in hands if hand.fingerprint.token_coverage >= integrity.MIN_TOKENS]
        start = time.perf_counter()
        for one, two in combinations(prints, 2):
            compare_files(one, two)
        baseline = time.perf_counter() - start
    kinds = {kind: sum(flag.kind == kind for flag in flags) for kind in integrity.KINDS}
    print(f"The integrity report of {n} lesson-05 hand-ins ({', '.join(f'{v} {k}' for k, v in kinds.items())})")
    print(f"  integrity_flags, median of {repeat}: {seconds:6.1f} s (reading, fingerprints, every pair)")
    print(f"  baseline, compare_files on the {len(prints) * (len(prints) - 1) // 2} pairs alone: {baseline:6.1f} s "
          f"-> {seconds / baseline:.2f}x the baseline's time")


if __name__ == "__main__":
    report(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
