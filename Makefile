# Every target works from a fresh clone: the virtualenv and pinned packages
# are created on first use. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# The functions run Python 3.12 by default: use a 3.12 (else 3.13) interpreter
# from PATH, else one that pyenv has installed, else any Python 3.11+ on PATH.
PYTHON ?= $(shell \
	for p in python3.12 python3.13; do \
		$$p -c 'import sys; sys.exit(sys.version_info < (3, 12))' >/dev/null 2>&1 && { command -v $$p; exit; }; \
	done; \
	if command -v pyenv >/dev/null 2>&1; then \
		for v in $$(pyenv versions --bare 2>/dev/null | grep -E '^3\.1[23]\.[0-9]+$$' | sort -V); do \
			p="$$(pyenv prefix $$v)/bin/python3"; test -x "$$p" && { echo "$$p"; exit; }; \
		done; \
	fi; \
	for p in python3 python; do \
		$$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' >/dev/null 2>&1 && { command -v $$p; exit; }; \
	done)
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
# The pure core lives in lambda_src/ (the zips' layout); tools that import it get it on the path.
RUN     := PYTHONPATH=lambda_src $(VPY)
CHECKOV_VENV := .venv-checkov
# Points terraform at a local provider mirror only when the registry is unreachable.
TFENV   = eval "$$($(VPY) -m devkit.tfenv)"

.PHONY: help venv build test test-unit lint fmt checkov docs bench demo demo-ui screenshot analyze smoke clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt cli/pyproject.toml
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required (install python3.12)"; exit 1; }
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## Create the virtualenv with the pinned test dependencies

build: $(STAMP) ## Build the functions' zips in dist/ (transform, query, stream, heal) reproducibly
	$(RUN) -m devkit.build --out dist

# tflint is not run: no registry this project installs from (PyPI, npm,
# Debian) ships tflint or its AWS ruleset, whose releases are GitHub
# downloads. `terraform validate` of the module and every example runs instead.
lint: $(STAMP) ## ruff, mypy --strict, terraform fmt, terraform validate of the module and every example
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(RUN) -m mypy
	TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive  # fmt needs no providers
	$(TFENV) && $(VPY) -m devkit.validate

fmt: $(STAMP) ## Format Python and Terraform sources
	$(VPY) -m ruff format .
	$(VPY) -m ruff check --fix .
	terraform fmt -recursive

test: $(STAMP) lint checkov ## Run every test (unit, handler, plan, apply, demo flow), offline
	$(TFENV) && $(VPY) -m pytest

checkov: ## Static security checks of the Terraform (pinned checkov, own virtualenv)
	@test -x $(CHECKOV_VENV)/bin/python || $(PYTHON) -m venv $(CHECKOV_VENV)
	@$(CHECKOV_VENV)/bin/python -m pip show checkov 2>/dev/null | grep -qx 'Version: 3.3.30' || \
		$(CHECKOV_VENV)/bin/python -m pip install --quiet checkov==3.3.30
	@# A file checkov cannot parse is not checked at all: count that as a failure too.
	@LOG_LEVEL=ERROR $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml > .checkov.out; status=$$?; \
		cat .checkov.out; ! grep -q "Parsing errors" .checkov.out && rm -f .checkov.out && exit $$status; \
		echo "error: checkov could not parse a file (run with LOG_LEVEL=DEBUG to see which)"; rm -f .checkov.out; exit 1

docs: $(STAMP) ## Regenerate the generated README sections (inputs/outputs, status model)
	$(VPY) -m devkit.tfdocs
	$(RUN) -m devkit.statusdocs

test-unit: $(STAMP) ## Run only the Python tests that need no terraform
	$(VPY) -m pytest -m "not terraform"

PORT ?= 8765
demo: $(STAMP) ## Run the whole pipeline on a local AWS emulator (KEEP=1 keeps the API up, PORT=8765)
	@$(VPY) -m devkit.demo --port $(PORT) $(if $(KEEP),--keep)

demo-ui: $(STAMP) ## The demo, kept up with the msgstatus ui web console on its API until Ctrl-C
	@$(VPY) -m devkit.demo --port $(PORT) --ui

screenshot: $(STAMP) ## Take docs/console.png, the README's picture of the console (needs Debian's chromium)
	@$(RUN) -m devkit.screenshot --out docs/console.png

analyze: $(STAMP) ## Run the named Athena queries with DuckDB on the last `make demo`'s archive
	@test -d .demo-archive/events || $(MAKE) --no-print-directory demo
	@$(RUN) -m devkit.analyze --archive .demo-archive

# `make smoke` is the one target that talks to AWS: never part of `make test` or CI.
# Settings: CONFIRM=1 (required), FROM=<verified SES sender>, TERRAFORM_DIR=<applied root
# module> (else examples/basic is applied in REGION and destroyed), CONFIGURATION_SET,
# API_URL, SMS_CONFIGURATION_SET + SMS_ORIGINATION_IDENTITY (+ SMS_COUNTRY), TIMEOUT,
# POLL. README: Development, "make smoke".
SMOKE_FLAGS = $(if $(filter 1 yes true,$(CONFIRM)),--confirm) \
	$(if $(FROM),--from '$(FROM)') \
	$(if $(TERRAFORM_DIR),--terraform-dir '$(TERRAFORM_DIR)') \
	$(if $(REGION),--region '$(REGION)') \
	$(if $(CONFIGURATION_SET),--configuration-set '$(CONFIGURATION_SET)') \
	$(if $(API_URL),--api-url '$(API_URL)') \
	$(if $(SMS_CONFIGURATION_SET),--sms-configuration-set '$(SMS_CONFIGURATION_SET)') \
	$(if $(SMS_ORIGINATION_IDENTITY),--sms-origination-identity '$(SMS_ORIGINATION_IDENTITY)') \
	$(if $(SMS_COUNTRY),--sms-country '$(SMS_COUNTRY)') \
	$(if $(TIMEOUT),--timeout '$(TIMEOUT)') \
	$(if $(POLL),--poll '$(POLL)')
smoke: $(STAMP) ## Check a deployment in YOUR AWS account with its simulators (real credentials, cents; CONFIRM=1)
	@$(RUN) -m devkit.smoke $(SMOKE_FLAGS)

bench: $(STAMP) ## Measure the shipped code on a local moto server
	$(RUN) -m bench.run

clean: ## Remove the virtualenvs and terraform working files
	rm -rf $(VENV) $(CHECKOV_VENV) .terraform-cli .pytest_cache .hypothesis
	find . -name .terraform -type d -prune -exec rm -rf {} +
	find . -name '*.tfstate*' -delete
