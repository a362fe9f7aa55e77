"""The rules the project states, enforced: every module has an `__all__` and fits one read, and the
layers point one way (the shop world depends on nothing else in the course)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import subprocess
import sys

import pytest

import autograder
import course

# Hidden tests and visible checks are test code, long by nature; the nbgrader config is a file traitlets executes.
EXEMPT_FROM_SIZE = ("autograder.hidden.", "course.checks.")
NOT_MODULES = ("autograder.nbgrader_config",)
MODULES = [info.name for package in (course, autograder)
           for info in pkgutil.walk_packages(package.__path__, f"{package.__name__}.")
           if info.name not in NOT_MODULES]


@pytest.mark.parametrize("name", MODULES)
def test_every_module_declares_all_and_stays_small(name):
    module = importlib.import_module(name)
    assert isinstance(getattr(module, "__all__", None), list), f"{name} has no __all__"
    assert all(hasattr(module, public) for public in module.__all__), f"{name}.__all__ names what it lacks"
    if not name.startswith(EXEMPT_FROM_SIZE):
        assert len(inspect.getsource(module).splitlines()) <= 300, f"{name} is over 300 lines: split it"


def test_importing_the_shop_loads_nothing_else_of_the_course():
    code = "import sys, course.shop; print(sorted(m for m in sys.modules if m.startswith('course.') and not m.startswith('course.shop')))"
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    assert loaded == "[]"


def test_the_model_reaches_the_brain_only_as_its_default_policy():
    code = "import sys, course.llm; print('course.brain' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_hidden_tests_and_checks_import_only_public_names():
    import ast
    from pathlib import Path

    root = Path(course.__file__).resolve().parent.parent
    private = []
    for path in [*root.glob("autograder/hidden/*.py"), *root.glob("course/checks/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(("course.", "autograder.")):
                module = importlib.import_module(node.module)
                for alias in node.names:
                    is_module = hasattr(module, "__path__") and importlib.util.find_spec(f"{node.module}.{alias.name}") is not None
                    if not is_module and alias.name not in getattr(module, "__all__", []):
                        private.append(f"{path.name}: {node.module}.{alias.name}")
    assert private == []
