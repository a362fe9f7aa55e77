# `make lab` does all the set-up and opens the course; `make test` runs the tests.
# Every target creates .venv on first use (with uv when it is installed, else python3 -m venv + pip).

PYTHON    ?= python3
VENV      ?= .venv
BIN       := $(VENV)/bin
STAMP     := $(VENV)/.installed
LAB_ARGS  ?=
UV        := $(shell command -v uv 2>/dev/null)
# JupyterLab refuses to run as root (containers, CI) unless told it is on purpose.
ROOT_ARG  := $(if $(filter 0,$(shell id -u)),--allow-root,)

.PHONY: env lab doctor clean

$(STAMP): pyproject.toml
ifdef UV
	uv venv --quiet --allow-existing --python $(PYTHON) $(VENV)
	uv pip install --quiet --python $(BIN)/python --compile-bytecode -e .
else
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m compileall -q -j 0 $(VENV)/lib > /dev/null || true
endif
	$(BIN)/python -m ipykernel install --sys-prefix --name python3 --display-name "Python 3 (Twelve-Factor Agents)" > /dev/null
	touch $(STAMP)

env: $(STAMP)  ## create or update the environment only

lab: $(STAMP)  ## open the course in JupyterLab (headless: make lab LAB_ARGS=--no-browser)
	JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter/learner $(BIN)/jupyter lab --notebook-dir=notebooks $(ROOT_ARG) $(LAB_ARGS)

doctor: $(STAMP)  ## check Python, packages, kernel and the model endpoint
	$(BIN)/course doctor

clean:
	rm -rf $(VENV) dist build *.egg-info

# ---- instructor targets (the student edition keeps everything above this line) ----

TEST_ARGS ?=
UPTO      ?=

.PHONY: test release student-edition bench compat instructor-lab slides site screenshots

instructor-lab: $(STAMP)  ## JupyterLab with nbgrader's instructor tools (formgrader, Create Assignment)
	mkdir -p var  # formgrader makes the gradebook, var/gradebook.db, on first use (running alembic from PATH)
	PATH="$(abspath $(BIN)):$$PATH" JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter/instructor \
		$(BIN)/jupyter lab --notebook-dir=. $(ROOT_ARG) $(LAB_ARGS)

test: $(STAMP)  ## run the whole suite: lint, types, then the tests
	$(BIN)/ruff check course autograder tests benchmarks compat
	$(BIN)/mypy
	$(BIN)/python -m pytest -n 2 --dist loadfile $(TEST_ARGS)

release: $(STAMP)  ## regenerate every student release from solutions/ with nbgrader (slide types first)
	$(BIN)/course release

slides: $(STAMP)  ## a static reveal.js deck per lesson in build/slides/ (offline; open build/slides/index.html)
	$(BIN)/course slides build build/slides

site: $(STAMP)  ## the read-only course site in build/site/: every lesson run, with outputs, and its deck
	$(BIN)/course site build/site

screenshots: $(STAMP)  ## the README's screenshots (docs/), taken in headless Chromium from the browser tests' harness
	$(BIN)/python tests/browser/screenshots.py docs

student-edition: $(STAMP)  ## build dist/student-edition (UPTO=N: only lessons up to N)
	$(BIN)/course student-edition dist/student-edition $(if $(UPTO),--upto $(UPTO),)

bench: $(STAMP)  ## print the benchmark figures
	$(BIN)/python -m benchmarks

# ---- compatibility: the clients learners bring, each in a venv of its own (the course's pins never move) ----
# compat/.venv: pydantic-ai, langchain-openai, litellm, openai-agents; compat/.venv-instructor: instructor,
# which pins an older openai. They import the fake from this checkout and start `$(BIN)/course llm serve`.

COMPAT_VENVS := compat/.venv compat/.venv-instructor

compat/.venv/.installed: compat/requirements.txt
compat/.venv-instructor/.installed: compat/requirements-instructor.txt
compat/.venv/.installed compat/.venv-instructor/.installed:
ifdef UV
	uv venv --quiet --allow-existing --python $(PYTHON) $(@D)
	uv pip install --quiet --python $(@D)/bin/python -r $<
else
	$(PYTHON) -m venv $(@D)
	$(@D)/bin/python -m pip install --quiet -r $<
endif
	touch $@

compat: $(STAMP) $(addsuffix /.installed,$(COMPAT_VENVS))  ## run the real client libraries against the fake
	COURSE=$(abspath $(BIN))/course compat/.venv/bin/python -m pytest -q compat --ignore=compat/test_instructor.py
	COURSE=$(abspath $(BIN))/course compat/.venv-instructor/bin/python -m pytest -q compat/test_instructor.py
