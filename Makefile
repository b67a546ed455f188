# geo-risk: two commands for a new user.
#   make demo   set up and run the web app on the synthetic city (http://127.0.0.1:5000)
#   make test   set up and run the whole test suite
# Both create .venv and install what is missing, system packages included where apt is available.

VENV      ?= .venv
PYTHON    ?= python3
PY        := $(VENV)/bin/python
STAMP     := $(VENV)/.installed
SYS_STAMP := $(VENV)/.system-packages
PYTEST_ARGS ?=

.PHONY: demo test setup system-packages assets clean help

help:
	@echo "make demo   set up and run the web app on the synthetic city (http://127.0.0.1:5000)"
	@echo "make test   set up and run the test suite (set GEO_RISK_TEST_POSTGIS_URL to include PostGIS)"

demo: setup
	$(VENV)/bin/geo-risk demo

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(SYS_STAMP) $(STAMP) assets

# SpatiaLite for the embedded database and Chromium for the browser tests.
$(SYS_STAMP):
	@./scripts/system-packages.sh
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	@touch $@

assets: $(STAMP)
	@$(PY) -m web.assets

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache
