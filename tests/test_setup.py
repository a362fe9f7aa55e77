"""The set-up promises: the README's two commands, dependencies in step, JupyterLab serving."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
import tomllib

ROOT = Path(__file__).resolve().parents[1]


def _pyproject_dependencies() -> list[str]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]


def _environment_pip_dependencies() -> list[str]:
    lines = (ROOT / "environment.yml").read_text().splitlines()
    start = lines.index("  - pip:")
    return [line.strip().removeprefix("- ") for line in lines[start + 1 :] if line.startswith("      - ")]


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    assert _environment_pip_dependencies() == _pyproject_dependencies()


def test_every_dependency_has_a_lower_and_an_upper_bound():
    for requirement in _pyproject_dependencies():
        assert re.search(r">=\s*[\d.]+", requirement) and re.search(r"<\s*[\d.]+", requirement), requirement


def test_openai_is_bounded_to_the_3x_line_the_course_is_built_on():
    assert "openai>=3.0,<4" in _pyproject_dependencies()


def test_the_readme_opens_with_the_two_commands():
    first_screen = (ROOT / "README.md").read_text().splitlines()[:12]
    assert any(line.startswith("make lab") for line in first_screen)
    assert any(line.startswith("make test") for line in first_screen)


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str) -> bytes | None:
    """The body of a 200 response, or None while nothing listens on the port yet."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.read() if response.status == 200 else None
    except urllib.error.URLError as error:
        if isinstance(error.reason, ConnectionRefusedError):
            return None
        raise


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.skipif(not (ROOT / ".venv" / "bin" / "jupyter").exists(), reason="needs the environment made by make")
def test_make_lab_serves_jupyterlab_headless_without_the_instructor_tools():
    port = _free_port()
    args = f"--no-browser --port={port} --ServerApp.ip=127.0.0.1 --IdentityProvider.token=course-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(ROOT / "var" / "jupyter-runtime-test")}
    process = subprocess.Popen(
        ["make", "--no-print-directory", "lab", f"LAB_ARGS={args}"],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=env, start_new_session=True,
    )
    watchdog = threading.Timer(120, os.killpg, (process.pid, 15))  # a hung start fails the test, never CI
    watchdog.start()
    try:
        # JupyterLab logs to stderr. It prints its URL before it binds the port (the bind runs on the
        # event loop), so after the URL, try again at each further log line instead of sleeping.
        seen_url, page = False, None
        for line in process.stderr:
            seen_url = seen_url or f":{port}/lab" in line
            if seen_url:
                page = _get(f"http://127.0.0.1:{port}/lab?token=course-test")
                if page is not None:
                    break
        assert page is not None, "JupyterLab exited before serving"
        assert b"JupyterLab" in page
        listing = _get(f"http://127.0.0.1:{port}/api/contents/01-natural-language-to-tool-calls?token=course-test")
        assert listing is not None and b"01-natural-language-to-tool-calls.ipynb" in listing
        config = json.loads(re.search(rb'id="jupyter-config-data"[^>]*>(.*?)</script>', page, re.S).group(1))
        assert "@jupyter/nbgrader" in str(config.get("disabledExtensions")), "nbgrader's instructor tools show"
        assert not config.get("newsUrl"), "the learner is asked about Jupyter news"
        assert _status(f"http://127.0.0.1:{port}/formgrader?token=course-test") == 404
    finally:
        watchdog.cancel()
        os.killpg(process.pid, 15)
        process.wait(timeout=30)


def test_course_cli_help_lists_the_commands():
    result = subprocess.run([sys.executable, "-m", "course.cli", "--help"], capture_output=True, text=True, timeout=60)
    for command in ("llm", "demo", "doctor"):
        assert command in result.stdout


def test_the_learner_makefile_is_the_repositorys_set_up_plus_check():
    from autograder.authoring.edition import learner_makefile

    learner = learner_makefile((ROOT / "Makefile").read_text())
    for target in ("lab:", "env:", "doctor:", "check:", "$(STAMP): pyproject.toml"):
        assert target in learner
    for instructor_only in ("test:", "release:", "student-edition:", "bench:"):
        assert f"\n{instructor_only}" not in learner
    assert "--compile-bytecode" in learner and "$(ROOT_ARG)" in learner  # the same install and lab recipe
    dry_run = subprocess.run(["make", "-n", "-f", "-", "lab", "check", "NB=x.ipynb"], input=learner,
                             capture_output=True, text=True, cwd=ROOT, timeout=30)
    assert dry_run.returncode == 0, dry_run.stderr
    assert "jupyter lab --notebook-dir=notebooks" in dry_run.stdout and "course check x.ipynb" in dry_run.stdout
