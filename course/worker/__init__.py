"""The learner's side of trusted grading: a worker that runs a notebook's code and answers questions.

The grader (autograder/, never inside the worker) starts `python -m course.worker FD` in a sandbox
and talks to it over one socket, file descriptor FD, in length-prefixed JSON frames (`channel`).
Everything the worker says is plain data, so nothing the learner's code does in here can reach
a verdict except through values the grader judges itself:

    grader -> worker   {"op": "run_cell", "source": ...}         run one notebook cell
                       {"op": "call", "target": ..., "args": ...} call a learner object
                       {"op": "each", "calls": [...]}           several calls, one round trip
                       {"op": "get", ...} / "iter" / "subclass"   look at learner objects
                       {"op": "fork"} + a socket (SCM_RIGHTS)    a test's own process (`loop`)
                       {"op": "end", "pid": n}                  kill and reap one of those forks
                       {"op": "pin", "cpu": n}                  a fork, moved to the test's core
    worker -> grader   {"value": {...}} | {"raised": {...}}       the answer, described (`values`)
                       {"op": "model", "body": ...}              mid-call: a model request, which the
                                                                 grader answers from its own fake model

Objects stay in the worker; the grader holds numbered references to them. Learner code runs with
`use_model` set to a model that forwards every request to the grader (`model.RemoteModel`), and
with the shop the grader names for the call (`call_context`).
"""

__all__: list[str] = []  # a program (`python -m course.worker`), not a library: see loop.py and serve.py
