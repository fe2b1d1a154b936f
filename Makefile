# The two commands in the README. Each sets up what it needs first, on a machine with only Python >= 3.11,
# Node >= 20 and the package registries.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION := 1

.PHONY: preview test synth install lint bench

# The main job: synthesize the example stack into cdk.out, summarize it, then start the local preview.
preview: install
	$(BIN)/devportal synth
	$(BIN)/devportal preview

# Every test: infrastructure, runtime, preview and browser journeys.
test: install
	$(BIN)/python -m pytest

synth: install
	$(BIN)/devportal synth

lint: install
	$(BIN)/ruff check devportal_constructs runtime tests bench app.py
	$(BIN)/ruff format --check devportal_constructs runtime tests bench app.py

bench: install
	$(BIN)/python bench/synth.py
	$(BIN)/python bench/site_size.py

install: $(STAMP)

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("Python 3.11 or newer is needed, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	@node -e 'const major = +process.versions.node.split(".")[0]; if (major < 20) { console.error("Node 20 or newer is needed, found " + process.version); process.exit(1) }'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $(STAMP)
