"""`course doctor`: is this machine ready for the course? Each line says what to do if not."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from importlib import metadata

__all__ = ["Finding", "diagnose", "run_doctor"]

REQUIRED = ("openai", "httpx2", "pydantic", "jupyterlab", "ipykernel", "ipywidgets", "nbgrader", "nbval")


@dataclass(frozen=True)
class Finding:
    ok: bool
    what: str
    detail: str

    def line(self) -> str:
        return f"{'ok ' if self.ok else 'FIX'}  {self.what:<14} {self.detail}"


def _python() -> Finding:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = (3, 10) <= sys.version_info[:2] < (3, 14)
    return Finding(ok, "python", f"{version} at {sys.executable}" + ("" if ok else " — the course needs Python 3.10 to 3.13"))


def _package(name: str) -> Finding:
    try:
        return Finding(True, name, metadata.version(name))
    except metadata.PackageNotFoundError:
        return Finding(False, name, "not installed — run `make lab` (or `pip install -e .`) in the course folder")


def _kernel() -> Finding:
    try:
        from jupyter_client.kernelspec import KernelSpecManager

        spec = KernelSpecManager().get_kernel_spec("python3")
    except Exception as error:
        return Finding(False, "kernel", f"no python3 kernel ({error}) — run `make env`")
    python = spec.argv[0]
    same = python in (sys.executable, "python", "python3") or python.startswith(sys.prefix)
    detail = f"python3 -> {python}"
    return Finding(same, "kernel", detail if same else f"{detail} is not this environment — run `make env`")


def _endpoint(ping: bool) -> Finding:
    from course.llm import ConfigError, read_settings, real_client

    try:
        settings = read_settings()
    except ConfigError as error:
        return Finding(False, "model", str(error))
    if not settings.uses_real or not ping:
        return Finding(True, "model", settings.describe())
    try:
        real_client(settings, max_retries=0, timeout=10).models.list()
    except Exception as error:
        cause = error.__cause__ or error
        return Finding(False, "model", f"{settings.describe()} does not answer: {cause}")
    return Finding(True, "model", f"{settings.describe()} answers")


def _grading() -> Finding:
    from course.grading.plugins import grader

    plugin = grader()
    if plugin is None:
        return Finding(True, "grading", "visible checks only (student edition: your instructor grades with hidden tests)")
    return Finding(True, "grading", plugin.sandbox_description())


def diagnose(ping: bool = True) -> list[Finding]:
    return [_python(), *(_package(name) for name in REQUIRED), _kernel(), _endpoint(ping), _grading()]


def run_doctor(ping: bool = True) -> int:
    findings = diagnose(ping)
    for finding in findings:
        print(finding.line())
    problems = sum(not finding.ok for finding in findings)
    print("All set." if not problems else f"{problems} thing(s) to fix (see FIX lines).")
    return 0 if not problems else 1
