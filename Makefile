# linernotes: `make help` lists the targets.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# No wheel cache: a fresh CI machine would otherwise hold every wheel twice (cache + venv).
PIP    := $(BIN)/pip --no-cache-dir
# torch 2.13.0 is pinned for set-up only: on these machines that is the CPU wheel on local
# disk; any newer torch from PyPI is a multi-GB CUDA build a CPU laptop does not need.
TORCH  ?= torch==2.13.0

.PHONY: help setup muq ray demo ui test test-all gpu-check lint bench real-corpus real-fit clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q -U pip
	$(PIP) install -q "$(TORCH)"
	$(PIP) install -q --no-deps "tinysoundfont>=0.3.7"
	$(PIP) install -q -e . --group dev
	touch $(STAMP)

setup: $(STAMP)  ## create .venv and install linernotes with its dev tools

muq: setup  ## add the MuQ-MuLan extra (known-working --no-deps recipe, see README)
	$(PIP) install -q --no-deps muq==0.1.0 torchaudio==2.11.0 x-clip==0.14.4
	$(PIP) install -q -e ".[muq]"

ray: setup  ## add the Ray extra (ingest/recaption/mine --engine ray; README "Past one machine")
	$(PIP) install -q -e ".[ray]"

demo: setup  ## build the demo catalog, ingest it and answer a request (then the UI)
	$(BIN)/linernotes demo $(DEMO_ARGS)

ui: setup  ## launch the Gradio UI on the current catalog
	$(BIN)/linernotes ui

test: setup  ## run the default test suite (CPU, no network)
	$(BIN)/python -m pytest -q

test-all: setup  ## run every test, slow and browser ones included
	$(BIN)/python -m pytest -q -m ''

gpu-check: setup  ## on a CUDA machine: the GPU tests and the MusicFM GPU-vs-CPU benchmark
	$(BIN)/python -m pytest -q -m gpu tests/test_gpu.py -rA
	$(BIN)/python bench/gpu.py

lint: setup  ## ruff and mypy
	$(BIN)/ruff check agent tools ui prompts tests bench
	$(BIN)/ruff format --check agent tools ui prompts tests bench
	@# mypy reads the installed layout (linernotes.agent -> agent/, ...) through a
	@# folder of links, since it cannot follow setuptools' editable import hook.
	@mkdir -p build/typecheck/linernotes
	@for d in agent tools ui prompts; do ln -sfn ../../../$$d build/typecheck/linernotes/$$d; done
	cd build/typecheck && ../../$(BIN)/mypy --config-file ../../pyproject.toml -p linernotes

bench: setup  ## run every benchmark; each prints one JSON object on its last line
	@for f in bench/*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

# Real music (issue 12): Debian game/music packages, downloaded with apt (root, like .ci/run's
# chromium step), outside the repo: REAL_CORPUS=DIR (default ~/.cache/linernotes/real-corpus).
REAL_CORPUS ?= $(HOME)/.cache/linernotes/real-corpus
real-corpus: setup  ## download Debian packages' music into REAL_CORPUS, with a manifest (root, apt)
	$(BIN)/python -m linernotes.tools.realcorpus --out "$(REAL_CORPUS)"

real-fit: setup  ## refit the acoustic-v2 space on the corpus's development packages
	$(BIN)/python -m linernotes.tools.realcorpus.fit --corpus "$(REAL_CORPUS)"

clean:  ## remove the virtual environment and caches
	rm -rf $(VENV) .pytest_cache .ruff_cache .mypy_cache
