"""The capstone rubric: any agent that meets the capstone protocol (course.capstone), scored on the twelve factors
by what it does. Instructor side, like the hidden tests it shares its tools with (autograder.hidden.runs).

  probe.py        a probe: one behaviour of one factor, its points, its evidence, one sentence on what to fix
  factors_*.py    the probes, factor by factor: drawn tickets on the fake model and a fresh shop, judged from
                  the shop database and the grader's transcript (the final state, the tau-bench way)
  engine.py       each probe run k times: passed / failed / not-implemented / unscored, pass^1 and pass^k
  score.py        one agent on the trusted path: its code in a sandboxed worker, each probe in a fork of it
  report.py       the scorecard as a table, markdown and JSON
  cli.py          `course capstone score PATH`

The rule at the trust boundary holds here as everywhere in the grader: what the agent returns is plain data the
rubric judges against what it owns, never something it imports, resolves or calls.
"""

__all__: list[str] = []
