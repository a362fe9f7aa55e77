from . import fake_model

fake_model.report()
