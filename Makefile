# Every target works from a fresh clone: the virtualenv and pinned packages
# are created on first use. `make help` lists the targets.

SHELL := /bin/bash
.DEFAULT_GOAL := help

# Lambda runs Python 3.12+; prefer a matching local interpreter, else any 3.11+.
PYTHON ?= $(shell for p in python3.13 python3.12 /root/.pyenv/versions/3.12.1/bin/python3.12 python3; do \
	command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null && { command -v $$p; break; }; done)
VENV    := .venv
VPY     := $(VENV)/bin/python
STAMP   := $(VENV)/.installed
CHECKOV_VENV := .venv-checkov
# Points terraform at a local provider mirror only when the registry is unreachable.
TFENV   = eval "$$($(VPY) -m tests.support.tfenv)"

.PHONY: help venv build test test-unit lint fmt checkov docs bench demo clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt
	@test -n "$(PYTHON)" || { echo "error: Python 3.11 or newer is required (install python3.12)"; exit 1; }
	@test -x $(VPY) || $(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install --quiet --upgrade pip
	$(VPY) -m pip install --quiet -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## Create the virtualenv with the pinned test dependencies

build: $(STAMP) ## Build dist/transform.zip and dist/query.zip reproducibly
	$(VPY) lambda_src/build.py --out dist

lint: $(STAMP) ## ruff, mypy --strict on the core, terraform fmt
	$(VPY) -m ruff check .
	$(VPY) -m ruff format --check .
	$(VPY) -m mypy lambda_src/message_status
	TF_CLI_CONFIG_FILE=/dev/null terraform fmt -check -recursive  # fmt needs no providers

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
	LOG_LEVEL=ERROR $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml

docs: $(STAMP) ## Regenerate the generated README sections (inputs/outputs, status model)
	$(VPY) -m tests.support.tfdocs
	$(VPY) -m tests.support.statusdocs

test-unit: $(STAMP) ## Run only the Python tests that need no terraform
	$(VPY) -m pytest -m "not terraform"

PORT ?= 8765
demo: $(STAMP) ## Run the whole pipeline on a local AWS emulator (KEEP=1 keeps the API up, PORT=8765)
	@$(VPY) examples/demo/demo.py --port $(PORT) $(if $(KEEP),--keep)

bench: $(STAMP) ## Measure the transform and query on a local moto server
	$(VPY) -m bench.run

clean: ## Remove the virtualenvs and terraform working files
	rm -rf $(VENV) $(CHECKOV_VENV) .terraform-cli .pytest_cache .hypothesis
	find . -name .terraform -type d -prune -exec rm -rf {} +
	find . -name '*.tfstate*' -delete
