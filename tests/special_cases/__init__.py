"""Answers that implement nothing and special-case the public hidden tests' old fixed inputs, per lesson.

The course is open source, so its hidden tests are public: an answer can be written to recognise
the inputs they used to use, and do the right thing only for those. Each entry did score on the
tests' old fixed inputs; with inputs drawn from the grading seed (autograder.hidden, `rng`) each
must score no more than a blank (the released stub) scores on its exercise, under every seed
(tests/test_grading_special_cases.py). The families tried, in `nbNN.py` beside this file:
a table of the old inputs, an answer that tells the grader's calls from the notebook's own, the
expected outcomes written straight into the shop, a home-made `ValidationError`.

`SPECIAL_CASES = {lesson number: {solution grade id: [sources]}}`, each source a whole solution cell.
"""

from __future__ import annotations

from special_cases.nb01 import SPECIAL_CASES as NB01
from special_cases.nb02 import SPECIAL_CASES as NB02
from special_cases.nb03 import SPECIAL_CASES as NB03
from special_cases.nb04 import SPECIAL_CASES as NB04
from special_cases.nb05 import SPECIAL_CASES as NB05
from special_cases.nb06 import SPECIAL_CASES as NB06
from special_cases.nb07 import SPECIAL_CASES as NB07
from special_cases.nb08 import SPECIAL_CASES as NB08
from special_cases.nb09 import SPECIAL_CASES as NB09
from special_cases.nb10 import SPECIAL_CASES as NB10
from special_cases.nb11 import SPECIAL_CASES as NB11
from special_cases.nb12 import SPECIAL_CASES as NB12
from special_cases.nb13 import SPECIAL_CASES as NB13

__all__ = ["SPECIAL_CASES"]

SPECIAL_CASES: dict[int, dict[str, list[str]]] = {1: NB01, 2: NB02, 3: NB03, 4: NB04, 5: NB05, 6: NB06, 7: NB07, 8: NB08,
                                                   9: NB09, 10: NB10, 11: NB11,
                                                   12: NB12, 13: NB13}
