from . import fake_model, grading, naive_agent

fake_model.report()
print()
naive_agent.report()
print()
grading.report()
