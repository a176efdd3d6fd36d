# psflow — `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help install run test lint audit fmt unit integration kafka-up kafka-down kafka-status topics worker bench bench-scale bench-replay clean

help: ## List the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) ## Create .venv and install psflow with its dev tools

run: $(STAMP) ## Fetch and start Kafka, apply topics, run a worker on demo data, print the ERP commands (Ctrl-C stops all)
	$(BIN)/psflow demo

test: lint ## Run the whole suite (lint, schema gate, unit, agent and real-Kafka integration tests)
	$(BIN)/pytest

lint: $(STAMP) ## ruff (lint, format, private-member rule), mypy strict, the layer rule, the Avro schema gate, bandit
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports --no-logo
	$(BIN)/psflow schemas check
	$(BIN)/bandit -q -c pyproject.toml -r app agents tables replay domain

audit: $(STAMP) ## Known vulnerabilities of the installed dependencies (pip-audit); an unreachable service is reported, not failed
	$(BIN)/python .ci/pip_audit.py

fmt: $(STAMP) ## Format and auto-fix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

unit: $(STAMP) ## Run the pure unit tests only (no Kafka)
	$(BIN)/pytest tests/unit

integration: $(STAMP) ## Run the tests against the real local Kafka only
	$(BIN)/pytest -m integration

kafka-up: $(STAMP) ## Start the local Kafka broker (fetches the jars with mvn on first use)
	$(BIN)/psflow kafka up

kafka-down: $(STAMP) ## Stop the local Kafka broker
	$(BIN)/psflow kafka down

kafka-status: $(STAMP) ## Print the local broker's bootstrap address
	$(BIN)/psflow kafka status

topics: $(STAMP) ## Create missing catalog topics and report drift
	$(BIN)/psflow topics apply

worker: $(STAMP) ## Run one worker against the configured broker (PSFLOW_* env)
	$(BIN)/psflow worker

bench: $(STAMP) ## Pipeline throughput: raw aiokafka ceiling, Faust decode-and-forward, psflow (20,000 events)
	$(BIN)/python -m benchmarks.pipeline

bench-scale: $(STAMP) ## State that scales: one project with 100,000 entries; 1,000,000 events over 100,000 projects
	$(BIN)/python -m benchmarks.scale

bench-replay: $(STAMP) ## Run the replay benchmark (plan and preview next to a raw aiokafka read)
	$(BIN)/python -m benchmarks.replay

clean: ## Remove the venv and caches (not the Kafka jar cache in .cache/)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
