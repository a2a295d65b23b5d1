# The two commands: `make serve` and `make test`. Everything else follows from them.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1)
ASSETS := graph_service/static/node_modules/.package-lock.json
PORT   ?= 8000

.PHONY: serve test build validate bench bench-sparql bench-sparql-overhead bench-exports clean

$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $@

# The explorers' browser assets, from the npm registry, so they work offline. They are static
# files: no install script needs to run (swagger-ui-dist's would send install analytics).
$(ASSETS): graph_service/static/package.json graph_service/static/package-lock.json
	cd graph_service/static && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

build: $(STAMP) $(ASSETS)
	$(BIN)/chokepoint build data

validate: $(STAMP)
	$(BIN)/chokepoint validate data

serve: build
	$(BIN)/chokepoint serve --port $(PORT)

test: $(STAMP) $(ASSETS)
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m bench.controllers

bench-sparql: $(STAMP)
	$(BIN)/python -m bench.sparql

bench-sparql-overhead: $(STAMP)
	$(BIN)/python -m bench.sparql_overhead

bench-exports: $(STAMP)
	$(BIN)/python -m bench.exports

clean:
	rm -rf build $(VENV)
