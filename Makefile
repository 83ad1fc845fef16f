# The two commands of the README: `make demo` and `make test`; `make bench`
# measures.
# Both build their own virtualenv and install what they need, so they work on
# a fresh machine; CI runs `make test` through .ci/run.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: test demo lint venv peers bench bench-quick clean

$(PY):
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 10), "Python >= 3.10 is required, found " + sys.version'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# Re-install only when the project's metadata changed.
$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=compat
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

# Every benchmark, one table of ratios against Twisted + pyOpenSSL
# (bench/README.md says how to read it).  ~5 minutes; `make bench-quick`
# (or BENCHFLAGS=--quick) for a ~2-minute run.  No peers needed.
BENCHFLAGS ?=
bench: venv
	$(PY) bench/all.py $(BENCHFLAGS)

bench-quick: venv
	$(PY) bench/all.py --quick $(BENCHFLAGS)

clean:
	rm -rf $(VENV) _trial_temp *.egg-info
