"""The browser tests' set-up promises: CI installs Chromium only when it is missing, `make test` runs the
browser tests, and a machine without Chromium skips them with a one-line reason."""

from __future__ import annotations

import os
import subprocess
import sys

import tomllib
from lab_harness import ROOT


def test_ci_installs_chromium_with_the_system_package_manager_only_when_it_is_missing():
    script = (ROOT / ".ci" / "run").read_text()
    guard = script.index("if [ ! -x /usr/bin/chromium ]")
    assert guard < script.index("apt-get install -y -qq") < script.rindex("make test")


def test_make_test_collects_the_browser_tests():
    assert "tests" in tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["testpaths"]
    assert "pytest" in (ROOT / "Makefile").read_text().split("\ntest:")[1].split("\n\n")[0]


def test_without_chromium_the_reason_to_skip_is_one_line():
    code = "import lab_harness; print(repr(lab_harness.why_no_browser()))"
    env = {**os.environ, "COURSE_CHROMIUM": "/nonexistent/chromium", "PYTHONPATH": str(ROOT / "tests" / "browser")}
    reason = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert reason.startswith("'no Chromium at /nonexistent/chromium") and "\\n" not in reason
