"""The browser harness: JupyterLab on loopback with a token, driven by headless Debian Chromium.

Used by the browser tests (tests/browser/test_*.py) and by `make screenshots`
(tests/browser/screenshots.py). Nothing leaves the machine: JupyterLab listens on 127.0.0.1,
Chromium runs with its background services off and resolves no host but loopback, and every
request the page makes to anything else is refused and recorded (`Browser.off_machine`).
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
ARTEFACTS = ROOT / "var" / "test-artefacts"
CHROMIUM = Path(os.environ.get("COURSE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
TOKEN = "course-browser-test"


def why_no_browser() -> str | None:
    """None when the browser tests can run, else the one-line reason they skip."""
    if not CHROMIUM.exists():
        return f"no Chromium at {CHROMIUM} (Debian: apt-get install chromium; .ci/run does it)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (make env)"
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, ConnectionError):
        return False


class Lab:
    """`jupyter lab` serving `folder` on a free loopback port, as `make lab` runs it (the learner's config)."""

    def __init__(self, folder: Path, log: Path) -> None:
        self.folder, self.log_path, self.port = folder, log, _free_port()
        self.ready = threading.Event()
        self.process: subprocess.Popen[str] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        """`path` opened alone, in a workspace of its own (a second page must not restore the first one's tabs)."""
        workspace = re.sub(r"[^a-z0-9]+", "-", path.lower()).strip("-")
        return f"{self.base}/lab/workspaces/{workspace}/tree/{path}?token={TOKEN}&reset"

    def __enter__(self) -> Lab:
        runtime = Path(tempfile.mkdtemp(prefix="lab-runtime-"))  # empty user settings: the learner's first start
        env = {key: value for key, value in os.environ.items()
               if key not in ("COURSE_MODEL", "OPENAI_API_KEY", "OPENAI_BASE_URL")}
        env.update(COURSE_OFFLINE="1", JUPYTER_CONFIG_PATH=str(ROOT / "jupyter" / "learner"),
                   JUPYTER_RUNTIME_DIR=str(runtime), PYTHONUNBUFFERED="1")
        args = [sys.executable, "-m", "jupyter", "lab", "--no-browser", f"--port={self.port}", "--port-retries=0",
                "--ServerApp.ip=127.0.0.1", f"--IdentityProvider.token={TOKEN}", f"--notebook-dir={self.folder}",
                "--LabApp.expose_app_in_browser=True", "--ServerApp.allow_root=True",
                "--LabApp.extension_manager=readonly", f"--LabApp.user_settings_dir={runtime / 'user-settings'}",
                f"--LabApp.workspaces_dir={runtime / 'workspaces'}"]
        self.process = subprocess.Popen(args, cwd=self.folder, env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                                        start_new_session=True)
        threading.Thread(target=self._drain, daemon=True).start()
        if not self.ready.wait(120) or self.process.poll() is not None:
            self.__exit__(None, None, None)
            raise RuntimeError(f"JupyterLab did not start; its log: {self.log_path}")
        return self

    def _drain(self) -> None:
        """Copy JupyterLab's log to a file; once it has printed its URL, check at each line whether it serves.

        It prints the URL before the event loop binds the port; the extensions it starts next log a line
        each (jupyter_lsp's "Skipped non-installed server(s)" at least), so no sleep is needed.
        """
        assert self.process is not None and self.process.stderr is not None
        seen_url = False
        with self.log_path.open("w") as log:
            for line in self.process.stderr:
                log.write(line)
                log.flush()
                seen_url = seen_url or f":{self.port}/" in line
                if seen_url and not self.ready.is_set() and _answers(f"{self.base}/api/status?token={TOKEN}"):
                    self.ready.set()
        self.ready.set()  # it exited: let the waiter see that

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)


class Browser:
    """Headless Chromium through Playwright, with a fresh profile; refuses anything off the machine."""

    def __init__(self) -> None:
        self.off_machine: list[str] = []

    def __enter__(self) -> Browser:
        from playwright.sync_api import sync_playwright

        self._profile = tempfile.TemporaryDirectory(prefix="chromium-profile-")
        self._playwright = sync_playwright().start()
        self.context = self._playwright.chromium.launch_persistent_context(
            self._profile.name, executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS, headless=True,
            viewport={"width": 1280, "height": 900}, device_scale_factor=1)
        self.context.route(re.compile(r"^(?!https?://127\.0\.0\.1[:/]|file:|data:|blob:)"), self._refuse)
        return self

    def _refuse(self, route: Any) -> None:
        self.off_machine.append(route.request.url)
        route.abort()

    def __exit__(self, *exc: object) -> None:
        self.context.close()
        self._playwright.stop()
        self._profile.cleanup()


def run_notebook(page: Any, lab: Lab, path: str, timeout_s: float = 180) -> None:
    """Open `path` in JupyterLab, wait for its kernel, run all its cells and wait until every one has run."""
    page.goto(lab.url(path))
    page.wait_for_function(_OPEN_AND_IDLE, arg=path, timeout=60_000, polling=250)
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    page.wait_for_function(_ALL_RUN, timeout=timeout_s * 1000, polling=250)


# The notebook at `path` is the current tab and its kernel is idle.
_OPEN_AND_IDLE = """path => {
  const panel = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const kernel = panel && panel.context && panel.context.path === path && panel.sessionContext.session
      && panel.sessionContext.session.kernel;
  return Boolean(kernel && kernel.status === 'idle');
}"""

# The kernel is idle and every code cell has an execution count (the whole notebook has run), or a cell
# failed (run-all stops there: the caller reads the error instead of waiting for the timeout).
_ALL_RUN = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const cells = panel.content.widgets.filter(cell => cell.model.type === 'code');
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const failed = cells.some(cell => cell.model.outputs.toJSON().some(output => output.output_type === 'error'));
  return Boolean(kernel && kernel.status === 'idle' && cells.length > 0
      && (failed || cells.every(cell => cell.model.executionCount !== null)));
}"""


def error_outputs(page: Any) -> list[str]:
    """The text of every error or stderr output in the current notebook (a traceback, a warning)."""
    return [str(text) for text in page.evaluate("""() => window.jupyterapp.shell.currentWidget.content.widgets
        .filter(cell => cell.model.type === 'code')
        .flatMap(cell => cell.model.outputs.toJSON())
        .filter(o => o.output_type === 'error' || (o.output_type === 'stream' && o.name === 'stderr'))
        .map(o => o.output_type === 'error' ? o.ename + ': ' + o.evalue : [].concat(o.text).join(''))""")]


@contextlib.contextmanager
def artefacts_on_failure(page: Any, name: str, lab: Lab | None = None) -> Iterator[None]:
    """On a failure, keep a screenshot of the page (and JupyterLab's log) in var/test-artefacts/."""
    try:
        yield
    except BaseException:
        ARTEFACTS.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):
            page.screenshot(path=str(ARTEFACTS / f"{name}.png"), full_page=True)
        if lab is not None and lab.log_path.exists():
            shutil.copy(lab.log_path, ARTEFACTS / f"{name}.jupyterlab.log")
        raise


def copy_lesson(source_dir: Path, target: Path) -> Path:
    """A copy of a lesson folder with its stage links resolved, so a run in JupyterLab changes nothing in the repo."""
    shutil.copytree(source_dir, target, symlinks=False, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
    return target
