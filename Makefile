# kefu — the two commands of the quick start are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: demo test install browser-deps bench lint clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)
	$(BIN)/kefu compile-translations

## make demo: set up, migrate SQLite, generate the demo point, serve with background jobs
demo: install
	$(BIN)/kefu demo --serve

## make test: set up and run the whole suite (browser tests need chromium; see README)
test: install browser-deps
	$(BIN)/python -m pytest

browser-deps:
	@bash scripts/install-browser-deps.sh

## make bench: the benchmark table (bench/results/*.json)
bench: install
	$(BIN)/python -m bench

lint: install
	$(BIN)/ruff check kefu config bench

clean:
	rm -rf $(VENV) var/static
