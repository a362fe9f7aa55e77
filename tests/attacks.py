"""Attack cells a submission can carry, shared by the attack tests, the cohort tests and the benchmark.

Each is the source of one code cell a determined learner adds (after the setup cell). None of them
may win a point or cost a neighbour one (tests/test_grading_attacks.py says why each is tried).
"""

from __future__ import annotations

__all__ = ["FORK_BOMB", "HOSTILE", "KILLERS", "REPLACERS", "REWRITERS", "gradebook_writer"]

REWRITERS = {
    "input-transformer": "get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])",
    "run-cell-hooks": "get_ipython().events.register('pre_run_cell', lambda *a: None)\n"
                      "get_ipython().events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))",
    "custom-exc": "get_ipython().set_custom_exc((BaseException,), lambda *a, **k: None)",
}

REPLACERS = {
    "patch-hidden-tests": "import autograder.hidden\nautograder.hidden.HiddenTests.__call__ = lambda *a, **k: None",
    "stub-modules": "import sys, types\nstub = types.ModuleType('autograder.hidden.nb00')\nstub.hidden = lambda *a, **k: None\n"
                    "sys.modules['autograder'] = sys.modules['autograder.hidden'] = sys.modules['autograder.hidden.nb00'] = stub",
    "import-hook": "import builtins\n_real = builtins.__import__\n"
                   "builtins.__import__ = lambda name, *a, **k: (type('M', (), {'hidden': staticmethod(lambda *x, **y: None)}) "
                   "if name.startswith('autograder') else _real(name, *a, **k))",
    "meta-path-hook": "import sys\nclass Strip:\n    def find_spec(self, name, path=None, target=None):\n        return None\n"
                      "sys.meta_path.insert(0, Strip())",
    "import-reference-stage": "from autograder.authoring.reference import load\nglobals().update(vars(load(0)))",
}

KILLERS = {
    "os-exit": "import os\nos._exit(0)",
    "segfault": "import ctypes\nctypes.string_at(0)",
    "sigkill": "import signal, os\nos.kill(os.getpid(), signal.SIGKILL)",
}

# 2**7 = 128 processes, twice what a grading worker may run (its pids cgroup holds 64): enough to prove the cap,
# bounded enough that the benchmark's unsandboxed plain-nbgrader baseline survives it.
FORK_BOMB = "import os\nfor _ in range(7):\n    try:\n        os.fork()\n    except OSError:\n        break"


def gradebook_writer(root: str, plant: list[str] = (), databases: list[str] = ()) -> str:  # type: ignore[assignment]
    """A cell that tries to write full marks into every gradebook under `root` (and `databases`), and to plant
    code in the `plant` files."""
    return (
        "import glob, os, sqlite3\n"
        f"for db in glob.glob({root!r} + '/**/*.db', recursive=True) + {list(databases)!r}:\n"
        "    try:\n"
        "        c = sqlite3.connect(db)\n"
        "        c.execute('UPDATE grade SET auto_score = 99, extra_credit = 100')\n"
        "        c.commit()\n"
        "    except Exception:\n"
        "        pass\n"
        f"for target in {list(plant)!r}:\n"
        "    try:\n"
        "        open(target, 'a').write('\\nPLANTED = True\\n')\n"
        "    except OSError:\n"
        "        pass\n")


HOSTILE = {**REWRITERS, **REPLACERS, **KILLERS, "fork-bomb": FORK_BOMB}
