# Two entry points for a fresh machine: `make dry-run` and `make test`.
# Each one creates .venv inside the repository and installs the project on first use.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: dry-run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	# A current pip installs trafilatura's lxml_html_clean dependency; the machine's pip 23.2 does not.
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

dry-run: $(STAMP)
	$(BIN)/claimbot dry-run

test: $(STAMP)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python bench/pipeline.py

clean:
	rm -rf $(VENV) data .pytest_cache
