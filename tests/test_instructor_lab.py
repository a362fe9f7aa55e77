"""`make instructor-lab` opens formgrader on the course: served as the Makefile serves it, formgrader's own API
lists every lesson as an assignment (it reads the course's nbgrader configuration, autograder/nbgrader_config.py,
through jupyter/instructor/)."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from pathlib import Path

from course.grading.layout import lessons

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "instructor-lab-test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"token {TOKEN}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read().decode()
    except (urllib.error.URLError, ConnectionError) as error:
        return 0, str(error)


def test_formgrader_in_make_instructor_lab_lists_the_courses_lessons() -> None:
    port = _free_port()
    args = f"--no-browser --port={port} --port-retries=0 --ServerApp.ip=127.0.0.1 --IdentityProvider.token={TOKEN}"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    lab = subprocess.Popen(["make", "--no-print-directory", "instructor-lab", f"LAB_ARGS={args}"], cwd=ROOT, env=env,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                           start_new_session=True)
    try:
        assert lab.stderr is not None
        base, answered, log = f"http://127.0.0.1:{port}", False, []
        with selectors.DefaultSelector() as waiting:  # wake on each line it logs, or every half second, for 2 minutes
            waiting.register(lab.stderr, selectors.EVENT_READ)
            for _ in range(240):
                if waiting.select(timeout=0.5):
                    log.append(lab.stderr.readline())
                if lab.poll() is not None:
                    break
                if any(f":{port}/" in line for line in log) and _get(f"{base}/api/status")[0] == 200:
                    answered = True
                    break
        assert answered, "JupyterLab did not start:\n" + "".join(log[-20:])
        status, body = _get(f"{base}/formgrader/api/assignments")
        assert status == 200, body[:300]
        listed = {item["name"]: item["source_path"] for item in json.loads(body)}
        assert listed == {lesson.slug: f"solutions/{lesson.slug}" for lesson in lessons()}
    finally:
        os.killpg(lab.pid, signal.SIGTERM)
        lab.wait(timeout=60)
