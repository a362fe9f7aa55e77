"""`course student-edition DIR` (`make student-edition`): what an instructor hands a cohort.

    DIR/notebooks/            the releases (stubs, visible checks; no solutions, no hidden tests)
    DIR/course/               the course package: the learner's side, whole (check(), visible checks,
                              `course check` in visible-only mode, the grading worker)
    DIR/pyproject.toml        the repository's, packaging `course` only (no `autograder`, no grader entry point)
    DIR/environment.yml       as in the repository
    DIR/jupyter/learner/      JupyterLab without nbgrader's instructor tools (what `make lab` uses)
    DIR/README.md, Makefile   for learners: `make lab`, `make check NB=...`

Left out: solutions/, autograder/ (the grader: hidden tests, stage modules, release and cohort
tools), tests/, var/. The edition is simply `course/`, without the grader. Building fails if anything in the tree would reveal a solution or a
hidden test (autograder.authoring.leaks.scan). Release N ships the stage module N-1, i.e. the reference
solution of lessons before N: `upto=K` (`course student-edition DIR --upto K`) hands out lessons
up to K only, so a cohort gets a stage's solution when it reaches the next lesson.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from autograder.authoring.leaks import scan
from course.grading.layout import REPO_ROOT, WORKING_FILES, lessons

__all__ = ["build_student_edition", "learner_makefile", "real_model_section"]
_IGNORE = shutil.ignore_patterns(*WORKING_FILES, "*.egg-info")

README = """# Twelve-Factor Agents: the course (learner edition)

One agent, the support agent of a small online shop, built factor by factor: {count}.

```bash
make lab      # first run: creates .venv and installs the course (a few minutes), then opens JupyterLab
make env      # the environment only, to work in another editor: .venv/bin/jupyter, .venv/bin/course
```

Open `notebooks/{first}/{first}.ipynb` and work top to bottom; each notebook starts from the agent
the previous one left. Every exercise names a function to write; run the `check("N.k")` cell after
it: ✅ when the visible checks pass, otherwise what went wrong and a hint. The notebooks run on a
built-in fake model: no API key, no network.

```bash
make check NB=notebooks/{first}/{first}.ipynb   # run your notebook and all its visible checks
make carry NB=notebooks/{first}/{first}.ipynb   # once they pass: the next lesson starts from your agent
```

Each notebook N+1 starts from the reference agent of notebook N (`stage_NN.py` beside it) until you
carry your own forward; `.venv/bin/course carry NOTEBOOK --reference` goes back. Your instructor grades with
hidden tests that are not in this edition, so a passing check is a good sign, not a grade. Hand in the
`.ipynb` file under its original name.

{real_model}"""


INSTRUCTOR_MARKER = "# ---- instructor targets"
REAL_MODEL_HEADING = "### Using a real model"
_MAKEFILE_HEADER = re.compile(r"^# `make lab` does all the set-up and opens the course; `make test` runs the tests\.$", re.M)
_LEARNER_HEADER = "# `make lab` does all the set-up and opens the course; `make check NB=...` runs a notebook's checks."
LEARNER_TARGETS = """\
.PHONY: check carry

check: $(STAMP)  ## grade one notebook: make check NB=notebooks/NN-slug/NN-slug.ipynb
\t$(BIN)/course check $(NB)

carry: $(STAMP)  ## start the next lesson from your own agent: make carry NB=notebooks/NN-slug/NN-slug.ipynb
\t$(BIN)/course carry $(NB)
"""


def learner_makefile(repository_makefile: str) -> str:
    """The repository's Makefile up to its instructor targets, plus `make check`: one source for both."""
    if INSTRUCTOR_MARKER not in repository_makefile:
        raise ValueError(f"The Makefile has no {INSTRUCTOR_MARKER!r} line to cut the learner edition at.")
    shared = repository_makefile.split(INSTRUCTOR_MARKER)[0].rstrip() + "\n\n"
    if not _MAKEFILE_HEADER.search(shared):
        raise ValueError("The Makefile's first line changed: update autograder.authoring.edition._MAKEFILE_HEADER.")
    return _MAKEFILE_HEADER.sub(_LEARNER_HEADER, shared) + LEARNER_TARGETS


def real_model_section(repository_readme: str) -> str:
    """The README's "Using a real model" section, which every lesson points to: one copy, in both READMEs."""
    start = repository_readme.find(REAL_MODEL_HEADING)
    if start < 0:
        raise ValueError(f"The README has no {REAL_MODEL_HEADING!r} section, which the lessons point to.")
    rest = repository_readme[start + len(REAL_MODEL_HEADING):]
    end = re.search(r"^#{1,3} ", rest, re.M)
    body = rest[:end.start()] if end else rest
    return "## Using a real model" + body.rstrip() + "\n"


def _environment(text: str) -> str:
    """environment.yml without its pointer to the repository's own tests, which the edition does not ship."""
    trimmed = text.replace(" (tests/test_setup.py keeps them in step)", "")
    if "tests/" in trimmed:
        raise RuntimeError("environment.yml names a test file: update autograder.authoring.edition._environment")
    return trimmed


def _pyproject(text: str) -> str:
    trimmed = re.sub(r',\s*"autograder\*"|"autograder\*"\s*,?\s*', "", text)
    trimmed = re.sub(r'(?m)^"autograder" = \[.*\]\n', "", trimmed)  # the grader's package data
    for table in (r'project\.entry-points\."twelve_factor_course\.grader"', r"tool\.ruff[\w.-]*", r"tool\.mypy[\w.-]*"):
        # the grader's entry point and the repository's lint and type-check settings (they name autograder/)
        trimmed = re.sub(rf"(?ms)^(# [^\n]*\n)*\[\[?{table}\]\]?\n.*?(?=^\[|\Z)", "", trimmed)
    try:
        import tomllib  # type: ignore[import-not-found, unused-ignore]  # Python 3.11+
    except ImportError:  # pragma: no cover - 3.10: the text check below still applies
        tomllib = None
    if tomllib is not None:
        tomllib.loads(trimmed)  # still valid TOML
    if "autograder" in trimmed:
        raise RuntimeError("cannot drop autograder from pyproject.toml; update autograder.authoring.edition._pyproject")
    return trimmed


def build_student_edition(dest: Path | str, root: Path | None = None, *, upto: int | None = None) -> Path:
    """Build the learner edition in `dest` (replaced if it exists); raises if anything leaks.

    `upto` keeps the lessons numbered up to it (default: all). Release N ships stage N-1, the
    reference solution of the lessons before it, so an edition with every lesson gives a cohort
    the solutions of all but the last: hand lessons out progressively with `upto`.
    The lessons come from `root` (default: the repository); the package and environment files
    always come from the repository (so a test's toy course gets the real `course` package).
    """
    root = Path(root or REPO_ROOT)
    dest, home = Path(dest).resolve(), root.resolve()
    if dest == home or dest in home.parents or (dest.parent == home and dest.name not in {"dist", "build"}):
        raise ValueError(f"refusing to build the student edition into {dest}: choose a new folder, e.g. dist/student-edition")
    if dest.exists() and any(dest.iterdir()):
        if not ((dest / "course").is_dir() and (dest / "notebooks").is_dir() and (dest / "Makefile").is_file()):
            raise ValueError(f"{dest} exists and is not a student edition: choose a new folder")
        shutil.rmtree(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for lesson in lessons(root, released=True):
        if upto is None or lesson.number <= upto:
            shutil.copytree(lesson.release_dir, dest / "notebooks" / lesson.slug, ignore=_IGNORE)
    shutil.copytree(REPO_ROOT / "course", dest / "course", ignore=_IGNORE)  # the package, whatever `root`
    (dest / "pyproject.toml").write_text(_pyproject((REPO_ROOT / "pyproject.toml").read_text("utf-8")), "utf-8")
    shutil.copytree(REPO_ROOT / "jupyter" / "learner", dest / "jupyter" / "learner", ignore=_IGNORE)
    for name in ("LICENSE", "LICENSE.md", "LICENSE.txt"):
        if (REPO_ROOT / name).is_file():
            shutil.copy(REPO_ROOT / name, dest / name)
    (dest / "environment.yml").write_text(_environment((REPO_ROOT / "environment.yml").read_text("utf-8")), "utf-8")
    released = lessons(dest, released=True)
    first = released[0].slug if released else "01-slug"
    factors = [lesson for lesson in released if lesson.number <= 12]
    count = (f"{len(factors)} notebook{'s' if len(factors) != 1 else ''} here, one per factor of the twelve"
             + (", then the capstone, which scores your agent on all twelve" if len(factors) < len(released) else ""))
    real_model = real_model_section((REPO_ROOT / "README.md").read_text("utf-8"))
    (dest / "README.md").write_text(README.format(first=first, count=count, real_model=real_model), "utf-8")
    (dest / "Makefile").write_text(learner_makefile((REPO_ROOT / "Makefile").read_text("utf-8")), "utf-8")
    (dest / ".gitignore").write_text(".venv/\n__pycache__/\n*.egg-info/\n.ipynb_checkpoints/\n.hypothesis/\n", "utf-8")
    found = scan(dest, root)
    if found:
        raise RuntimeError("the student edition would reveal: " + "; ".join(found))
    return dest
