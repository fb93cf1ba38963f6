# The two commands a newcomer needs: `make demo` and `make test`.
# Both create .venv on first use and install the project into it.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: test test-slow test-scale test-soak demo lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test,postgres,temporal]'
	touch $(STAMP)

# Two workers, each taking whole test files (module fixtures such as the demo run once per file).
# The scale-out suite (several Temporal workers for minutes) runs apart: `make test-scale`,
# so does the write-back soak (a thousand round trips): `make test-soak`, and so do the long
# suites (SIGKILLs at random moments, quota storms and retry waits, daemons handing over, a
# Temporal dev server, every command the docs show, the demo): `make test-slow`. CI runs all four.
test: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "not scale_out and not soak and not slow"

test-slow: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m "slow and not scale_out and not soak"

test-scale: $(STAMP)
	$(BIN)/python -m pytest -q -n 2 --dist loadfile -m scale_out

test-soak: $(STAMP)
	$(BIN)/python -m pytest -q -m soak

demo: $(STAMP)
	$(BIN)/pmosync demo

lint: $(STAMP)
	$(BIN)/ruff check pmosync tests bench

bench: $(STAMP)
	$(BIN)/python bench/store.py
	$(BIN)/python bench/cli_startup.py
	$(BIN)/python bench/asana_sync.py --size S
	$(BIN)/python bench/planner_sync.py --size S
	$(BIN)/python bench/sync_e2e.py --size S
	$(BIN)/python bench/reports.py --size S
	$(BIN)/python bench/intake.py
	$(BIN)/python bench/demo.py
	$(BIN)/python bench/hostile_files.py

clean:
	rm -rf $(VENV) build *.egg-info
