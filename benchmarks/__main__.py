from . import fake_model, naive_agent

fake_model.report()
print()
naive_agent.report()
