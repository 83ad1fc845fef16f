# The two commands of the README: `make demo` and `make test`; `make bench`
# measures.
# Both build their own virtualenv and install what they need, so they work on
# a fresh machine; CI runs `make test` through .ci/run.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint docs venv peers bench bench-quick clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

peers:
	bash scripts/install-peers.sh

test: venv peers
	$(PY) -m twisted.trial tests

demo: venv peers
	$(PY) -m twisted_reneg.demo

lint: venv
	$(VENV)/bin/ruff check twisted_reneg tests bench
	$(VENV)/bin/mypy

# The API reference (pydoctor, epytext) in build/apidocs, with the narrative
# docs rendered beside it (build/apidocs/docs/index.html).  Any pydoctor
# warning fails the build, so a new unresolvable L{...} is caught in CI.
DOCS_OUT := build/apidocs
TWISTED_INVENTORY := build/twisted-objects.inv

# Twisted's own reference is made by pydoctor, so an inventory of the
# installed Twisted has the page names of its published one: L{twisted...}
# resolves with no network.  Made once per install (~30 s), then reused.
$(TWISTED_INVENTORY): $(STAMP)
	rm -rf build/twisted-inventory
	mkdir -p build
	$(VENV)/bin/pydoctor --quiet --make-intersphinx --project-name Twisted \
	    --html-output build/twisted-inventory \
	    "$$($(PY) -c 'import os, twisted; print(os.path.dirname(twisted.__file__))')" \
	    > build/twisted-inventory.log 2>&1
	mv build/twisted-inventory/objects.inv $@
	rm -rf build/twisted-inventory build/twisted-inventory.log

# The public API is the package's own names (twisted_reneg, .endpoints,
# .options, .interfaces, .web, .web.client, .testing); the sans-IO engine
# (twisted_reneg.tls) and the tools (twistd reneg, the demo, the peer
# drivers of the test suite) are marked private, so the module index lists
# them only under "Show Private API" (links to them still work).
DOCS_PRIVATE := twisted_reneg.tls twisted_reneg.tls.* twisted_reneg.tap \
	twisted_reneg.demo twisted_reneg.testing.processes

docs: venv $(TWISTED_INVENTORY)
	rm -rf $(DOCS_OUT)
	$(VENV)/bin/pydoctor --warnings-as-errors --quiet --docformat epytext \
	    $(foreach name,$(DOCS_PRIVATE),--privacy 'PRIVATE:$(name)') \
	    --project-name twisted_reneg \
	    --project-version "$$($(PY) -c 'from importlib.metadata import version; print(version("twisted_reneg"))')" \
	    --project-url docs/index.html \
	    --template-dir docs/_templates \
	    --intersphinx-file $(TWISTED_INVENTORY)::https://docs.twistedmatrix.com/en/stable/api \
	    --html-output $(DOCS_OUT) twisted_reneg
	$(PY) scripts/render-docs.py $(DOCS_OUT)/docs
	@echo "API reference: $(DOCS_OUT)/index.html; narrative docs: $(DOCS_OUT)/docs/index.html"

# Every benchmark, one table of ratios against Twisted + pyOpenSSL
# (bench/README.md says how to read it).  ~10 minutes; `make bench-quick`
# (or BENCHFLAGS=--quick) for a ~2-minute run.  No peers needed.
BENCHFLAGS ?=
bench: venv
	$(PY) bench/all.py $(BENCHFLAGS)

bench-quick: venv
	$(PY) bench/all.py --quick $(BENCHFLAGS)

clean:
	rm -rf $(VENV) _trial_temp *.egg-info build dist
