import os

from . import capstone, cohort, fake_model, grading, integrity, naive_agent

fake_model.report()
print()
naive_agent.report()
print()
grading.report()
print()
cohort.report(int(os.environ.get("COHORT_N", "200")))  # COHORT_N=20 make bench: a quick look
print()
capstone.report()
print()
integrity.report()
