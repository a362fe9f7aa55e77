"""The trust boundary holds against a submission that reads the grader's source: each attack tried for real.

Data from the worker is data (nothing it names is imported or called here), its folder is its own
(a sized tmpfs at another path, no symlink followed, files owned by an unprivileged uid), nothing
it starts outlives it, and every run has an end that no frame it sends can move.
"""

from __future__ import annotations

import importlib
import os
import sys
import time
from pathlib import Path

import pytest

from autograder.boundary import cgroups, folder
from autograder.boundary.remote import Learner, LearnerError
from autograder.boundary.sandbox import INSIDE, Limits, PidsCgroup, detect, new_worker_uid
from autograder.boundary.session import LearnerSession, TimeLimit, WorkerDied
from course.shop import NotFound, Shop, use_shop

bubblewrap = pytest.mark.skipif(detect().kind != "bubblewrap", reason="needs the bubblewrap sandbox (Linux)")
capped = pytest.mark.skipif(not folder.can_cap(), reason="worker folders can be capped only where the grader may mount")
as_root = pytest.mark.skipif(new_worker_uid() is None, reason="the worker changes host uid only under a root grader")

# Learner code can reach the worker's own socket and its request handler: it runs in the same process.
_WORKER = "import gc\nfrom course.worker import channel, serve\nWORKER = next(o for o in gc.get_objects() if type(o) is serve.Worker)\n"


# --- 1. data from the worker is data ----------------------------------------------------------------

_LYING_FAULTS = _WORKER + '''
_real = serve.Worker._op_call
def _op_call(self, request):
    answer = _real(self, request)
    answer["faults"] = [["get_order", "course.grading.local:run", ["/submission/evil.ipynb"], 1, False]]
    answer["faults_used"] = {"get_order": 10**9, "send_message": -5, "issue_refund": "course.grading.local:run"}
    return answer
serve.Worker._op_call = _op_call

def look(order_id):
    from course.shop.tools import get_order
    return get_order(order_id)
'''


def test_a_fault_report_naming_grader_code_imports_and_calls_nothing(monkeypatch):
    imported: list[str] = []
    real_import = importlib.import_module

    def watch(name: str, package: str | None = None):
        imported.append(name)
        return real_import(name, package)

    with LearnerSession() as session, Shop.create() as shop, use_shop(shop):
        learner = Learner(session)
        assert session.run_cell(_LYING_FAULTS) == {"ok": True}
        shop.fail_next("get_order", NotFound("planned by the grader"), times=2)
        shop.fail_next("send_message", NotFound("planned by the grader"))
        shop.fail_next("issue_refund", NotFound("planned by the grader"))
        monkeypatch.setattr(importlib, "import_module", watch)
        with pytest.raises(LearnerError, match="planned by the grader"):
            learner["look"](1042)  # the worker really used one get_order failure, then lied about everything
        monkeypatch.undo()
    assert "course.grading.local" not in imported, imported
    # Counts only, and only down to what the grader had planned: nothing else moved.
    assert shop.faults.counts() == {"get_order": 0, "send_message": 1, "issue_refund": 1}


def test_planned_failures_travel_by_name_and_come_back_as_counts():
    with LearnerSession() as session, Shop.create() as shop, use_shop(shop):
        learner = Learner(session)
        session.run_cell("def look(order_id):\n    from course.shop.tools import get_order\n"
                         "    try:\n        return get_order(order_id)\n    except Exception as e:\n"
                         "        return type(e).__name__ + ': ' + str(e)")
        shop.fail_next("get_order", NotFound("order 1042 is lost"), times=2)
        assert learner["look"](1042).value == "NotFound: order 1042 is lost"
        assert shop.faults.counts() == {"get_order": 1}
        learner["look"](1042)
        assert shop.faults.pending() == 0
        assert isinstance(learner["look"](1042).value, dict)  # the plan is used up: the real order comes back


def test_worker_answers_of_the_wrong_shape_are_refused_not_resolved():
    with LearnerSession() as session:
        learner = Learner(session)
        session.run_cell(_WORKER + "def f():\n    return 1\n"
                         "serve.Worker._op_call = lambda self, r: {'value': {'ref': 'x', '$import': 'course.grading.local:run'}}")
        with pytest.raises((TypeError, ValueError, KeyError, WorkerDied)):
            learner["f"]().value  # noqa: B018  (a description that is not one: an error, never an import)


# --- the worker's folder is its own ---------------------------------------------------------------------

@bubblewrap
def test_the_worker_sees_its_folder_at_another_path_than_the_host():
    with LearnerSession() as session:
        session.run_cell(f"import os\nHERE = os.getcwd()\nHOST_PATH_SEEN = os.path.exists({str(session.workdir)!r})")
        learner = Learner(session)
        assert learner["HERE"].value == INSIDE
        assert learner["HOST_PATH_SEEN"].value is False


@as_root
@bubblewrap
def test_under_a_root_grader_the_worker_is_an_unprivileged_host_user():
    with LearnerSession() as session:
        session.run_cell("import os\nopen('mine.txt', 'w').write('x')\nIDS = [os.getuid(), os.geteuid(), os.getgid()]")
        uid = session.uid
        assert uid is not None and uid >= 100_000
        assert Learner(session)["IDS"].value == [uid, uid, uid]
        assert (session.workdir / "mine.txt").stat().st_uid == uid


@capped
def test_a_symlink_planted_beside_the_shop_is_never_followed_by_the_grader(tmp_path):
    precious = tmp_path / "gradebook.db"
    precious.write_bytes(b"precious " * 100)
    with LearnerSession() as session, Shop.create() as shop, use_shop(shop):
        learner = Learner(session)
        name = shop.path.name
        session.run_cell(f"import os\ndef plant():\n    os.symlink({str(precious)!r}, {name + '-journal'!r})\n    return True")
        assert learner["plant"]().value is True
        try:
            with shop.transaction() as conn:
                conn.execute("UPDATE orders SET status = status")
        except Exception:  # the grader's own write fails: the learner loses that test, nothing else
            pass
    assert precious.read_bytes() == b"precious " * 100


@capped
def test_the_worker_folder_has_a_total_size_and_tmp_has_one_too():
    limits = Limits(disk_mb=8, file_mb=4, tmp_mb=8)
    writer = ("def fill(folder):\n    written = 0\n    for i in range(6):\n        try:\n"
              "            with open(f'{folder}/big{i}.bin', 'wb') as f:\n"
              "                for _ in range(3):\n                    f.write(b'x' * 2**20)\n                    f.flush()\n"
              "                    written += 2**20\n"
              "        except OSError:\n            pass\n    return written")
    with LearnerSession(limits=limits) as session:
        session.run_cell(writer)
        learner = Learner(session)
        assert learner["fill"](".").value <= 8 * 2**20
        assert sum(p.stat().st_size for p in session.workdir.iterdir()) <= 8 * 2**20
        assert learner["fill"]("/tmp").value <= 8 * 2**20


# --- nothing it starts outlives it ------------------------------------------------------------------------

def _running_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                if marker.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


@bubblewrap
def test_a_detached_double_fork_does_not_outlive_the_grading():
    marker = f"course-detached-{os.getpid()}"
    cell = ("import os, subprocess, sys\nready_r, ready_w = os.pipe()\nos.set_inheritable(ready_w, True)\n"
            "if os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
            f"        os.execv(sys.executable, [sys.executable, '-c', 'import os, time\\nos.write({{w}}, b\"1\")\\n'\n"
            f"                 'while True: time.sleep(1)', {marker!r}])\n"
            "    os._exit(0)\n")
    cell = cell.replace("{w}", "' + str(ready_w) + '")
    cell += "os.close(ready_w)\nos.read(ready_r, 1)  # the grandchild runs\n"
    with LearnerSession() as session:
        answer = session.run_cell(cell)
        assert answer == {"ok": True}, answer
        assert _running_with(marker), "the detached process never started"
    assert _running_with(marker) == []


def test_without_a_pids_cgroup_forks_are_capped_all_the_same(monkeypatch):
    monkeypatch.setattr(PidsCgroup, "create", classmethod(lambda cls, limit, roots=None: None))
    cell = ("import os\nhold_r, hold_w = os.pipe()\nMADE = 0\nfor _ in range(150):\n    try:\n        pid = os.fork()\n"
            "    except OSError:\n        break\n    if pid == 0:\n        os.close(hold_w)\n        os.read(hold_r, 1)\n"
            "        os._exit(0)\n    MADE += 1\nos.close(hold_w)\n")
    with LearnerSession(limits=Limits(processes=20)) as session:
        assert session.run_cell(cell) == {"ok": True}
        assert Learner(session)["MADE"].value <= 20


def test_cgroup_v2_delegated_subtrees_are_found_as_well_as_v1(tmp_path):
    delegated = tmp_path / "v2" / "grading.scope"
    delegated.mkdir(parents=True)
    (delegated / "cgroup.subtree_control").write_text("cpu memory pids\n")
    undelegated = tmp_path / "v2b" / "user.slice"
    undelegated.mkdir(parents=True)
    (undelegated / "cgroup.subtree_control").write_text("cpu memory\n")
    v1 = "35 25 0:30 / /sys/fs/cgroup/pids rw,nosuid shared:16 - cgroup cgroup rw,pids\n"
    v2 = f"36 25 0:31 / {tmp_path / 'v2'} rw shared:17 - cgroup2 cgroup2 rw,nsdelegate\n"
    v2b = f"36 25 0:31 / {tmp_path / 'v2b'} rw shared:17 - cgroup2 cgroup2 rw\n"
    assert cgroups.pids_roots(v1, "8:pids:/\n0::/\n") == [Path("/sys/fs/cgroup/pids")]
    assert cgroups.pids_roots(v2, "0::/grading.scope\n") == [delegated]
    assert cgroups.pids_roots(v2b, "0::/user.slice\n") == []
    assert cgroups.pids_roots(v1 + v2, "0::/grading.scope\n") == [Path("/sys/fs/cgroup/pids"), delegated]


# --- every run has an end ----------------------------------------------------------------------------------

_CHATTY = _WORKER + '''import time
STATUSES = set()
def chatter(seconds):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        channel.send(WORKER.sock, {"op": "model", "body": "{}"})
        STATUSES.add(channel.receive(WORKER.sock)["status"])
    return sorted(STATUSES)
'''


def test_frames_from_the_worker_do_not_extend_a_request_past_its_deadline():
    with LearnerSession(limits=Limits(call_seconds=1.5)) as session:
        assert session.run_cell(_CHATTY) == {"ok": True}
        answer = session.run_cell("chatter(4)")
        assert "more than 1.5 seconds" in str(answer.get("died")), answer
        with pytest.raises(WorkerDied, match=r"more than 1\.5 seconds"):
            Learner(session)["chatter"](4)


def test_no_model_answers_while_a_cell_runs():
    with LearnerSession() as session:
        session.run_cell(_CHATTY)
        session.run_cell("FIRST = chatter(0.05)")
        assert Learner(session)["FIRST"].value == [503]


def test_a_submission_has_one_wall_clock_for_everything_fresh_workers_included():
    with LearnerSession(limits=Limits(call_seconds=60, submission_seconds=2)) as session:
        answer = session.run_cell("while True:\n    pass")
        assert "2 seconds in all" in str(answer.get("died")), answer
        assert session.out_of_time
        assert "2 seconds in all" in str(session.run_cell("x = 1").get("died"))
        with pytest.raises(TimeLimit):
            Learner(session)["x"].value  # noqa: B018
        with pytest.raises(TimeLimit), Learner(session).fresh() as other:
            other["x"].value  # noqa: B018


@pytest.mark.skipif(sys.platform != "linux", reason="Linux only")
def test_the_sandbox_says_which_limits_this_machine_cannot_hold(monkeypatch):
    import autograder.boundary.sandbox as sandbox

    monkeypatch.setattr(folder, "can_cap", lambda: False)
    sandbox.detect.cache_clear()
    try:
        described = sandbox.detect().describe()
    finally:
        sandbox.detect.cache_clear()
    assert "not enforced here: a total size for the worker's files" in described


def test_an_endless_submission_is_graded_to_the_end_with_its_tests_not_run(tmp_path_factory):
    from test_grading_attacks import RIGHT_ADD, _grade, _submission
    from toy_course import build_toy_course

    from autograder.authoring.release import release_all

    toy = build_toy_course(tmp_path_factory.mktemp("toy"))
    release_all(toy)
    nb = _submission(toy, add=RIGHT_ADD, first="import time\nwhile True:\n    time.sleep(0.01)")
    graded = _grade(toy, nb, limits=Limits(call_seconds=60, submission_seconds=3))
    assert [(r.status, r.score) for r in graded.results] == [("not-run", 0.0), ("not-run", 0.0)]
    assert all("not run: time limit" in r.message for r in graded.results)
    assert any("time limit" in note for note in graded.notes)


# --- what a cell plants in its folder never runs before the privileges are dropped ---------------------------

_PLANT = '''import os
os.makedirs("course/worker", exist_ok=True)
for name in ("course/__init__.py", "course/worker/__init__.py"):
    open(name, "w").write("")
open("course/worker/__main__.py", "w").write(
    "import os\\nopen('planted-ran-as-%d' % os.geteuid(), 'w').write('x')\\n")
open("course/worker/privileges.py", "w").write(
    "import os\\ndef drop_privileges():\\n    open('planted-ran-as-%d' % os.geteuid(), 'w').write('x')\\n")
os._exit(3)
'''


def test_modules_planted_in_the_folder_never_start_the_next_worker():
    with LearnerSession() as session:
        assert "died" in session.run_cell(_PLANT)
        assert session.run_cell("import os\nHERE = sorted(os.listdir('.'))") == {"ok": True}  # a new worker, the real one
        learner = Learner(session)
        assert not [name for name in learner["HERE"].value if name.startswith("planted")]
        with learner.fresh(interpreter=True) as other:
            assert other.defines("HERE")
        assert not [p for p in session.workdir.iterdir() if p.name.startswith("planted")]


# --- a frame has one deadline, and its depth is measured in linear time ------------------------------------------

def test_a_frame_trickled_a_byte_at_a_time_ends_at_the_deadline():
    trickle = _WORKER + ('import time\ndef slow():\n    for byte in b"\\x00\\x00\\x10\\x00" + b" " * 4096:\n'
                         '        WORKER.sock.send(bytes([byte]))\n        time.sleep(0.2)\n')
    with LearnerSession(limits=Limits(call_seconds=1.5)) as session:
        session.run_cell(trickle)
        started = time.monotonic()
        with pytest.raises(WorkerDied, match=r"more than 1\.5 seconds"):
            Learner(session)["slow"]()
        assert time.monotonic() - started < 5


def test_depth_is_measured_in_linear_time_whatever_the_strings_hold():
    import socket as sockets

    from course.worker import channel

    ours, theirs = sockets.socketpair()
    hostile = b"[" * 101 + b'"\\"' * 30_000
    try:
        theirs.sendall(channel._HEADER.pack(len(hostile)) + hostile)
        started = time.monotonic()
        with pytest.raises(channel.ChannelError):
            channel.receive(ours, time.monotonic() + 5)
        assert time.monotonic() - started < 1
    finally:
        ours.close()
        theirs.close()


# --- the shared shop's schema stays the grader's ----------------------------------------------------------------

def test_a_call_that_changes_the_shared_shops_schema_fails_its_test():
    cell = ("from course.shop import current_shop\ndef rebuild():\n    conn = current_shop().conn\n"
            "    conn.execute('ALTER TABLE orders RENAME TO orders_real')\n"
            "    conn.execute('CREATE VIEW orders AS WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) "
            "SELECT * FROM orders_real, r')\n    return True")
    with LearnerSession() as session, Shop.create() as shop, use_shop(shop):
        session.run_cell(cell)
        with pytest.raises(AssertionError, match="view or trigger"):
            Learner(session)["rebuild"]()


def test_a_malformed_grading_seed_is_a_clear_error(monkeypatch):
    from autograder.hidden import grading_seed

    monkeypatch.setenv("COURSE_GRADING_SEED", "²")
    with pytest.raises(ValueError, match="whole number"):
        grading_seed()
    monkeypatch.setenv("COURSE_GRADING_SEED", "42")
    assert grading_seed() == 42


def test_a_callback_question_the_grader_cannot_read_is_refused_not_a_crash():
    from autograder.boundary.in_kernel import LocalSession

    learner = Learner(LocalSession({}))
    number = learner._register(lambda *args: "called")
    for question in ({"id": number, "args": [{"no": "ref"}]}, {"id": number, "args": "x"},
                     {"id": number, "kwargs": {"a": {"ref": "seven"}}}, {"id": str(number)}):
        assert "failed_callback" in learner._on_callback(question), question
    assert learner._on_callback({"id": number, "args": []}) == {"returned": "called"}


def test_what_a_test_started_ends_with_the_test():
    marker = f"course-test-child-{os.getpid()}"
    start = (f"import os, sys\ndef spawn():\n    r, w = os.pipe()\n    os.set_inheritable(w, True)\n    if os.fork() == 0:\n"
             f"        os.execv(sys.executable, [sys.executable, '-c', 'import os, time\\nos.write(%d, b\"1\")\\n"
             f"while True: time.sleep(1)' % w, {marker!r}])\n"
             "    os.close(w)\n    os.read(r, 1)\n    return True")
    with LearnerSession() as session:
        session.run_cell(start)
        with session.fork() as test:
            assert Learner(test)["spawn"]().value is True
            assert _running_with(marker)
        assert _running_with(marker) == []  # the session, its worker, still runs


@as_root
@bubblewrap
def test_under_a_root_grader_the_worker_cannot_make_a_user_namespace_but_threads_and_subprocesses_work():
    cell = ("import subprocess, sys\n"
            "probe = 'import ctypes; libc = ctypes.CDLL(None, use_errno=True); "
            "print(libc.unshare(0x10000000), ctypes.get_errno())'\n"
            "UNSHARE = subprocess.run([sys.executable, '-c', probe], capture_output=True, text=True).stdout.split()\n"
            "THREAD = subprocess.run([sys.executable, '-c', 'import threading; t = threading.Thread(target=print, "
            "args=(7,)); t.start(); t.join()'], capture_output=True, text=True).stdout.strip()")
    with LearnerSession() as session:
        assert session.run_cell(cell) == {"ok": True}
        learner = Learner(session)
        assert learner["UNSHARE"].value == ["-1", "1"]  # EPERM
        assert learner["THREAD"].value == "7"
