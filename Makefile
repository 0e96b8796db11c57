# emotion_platform: the two commands are `make demo` and `make test`; both set up what is missing first.
.PHONY: setup demo test ingest ui lint lock bench clean-data mlflow-ui train rollback

VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/emotion-platform demo

test: setup
	$(BIN)/python -m pytest

ingest: setup
	$(BIN)/emotion-platform ingest

ui: setup
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint:
	$(BIN)/ruff check emotion_platform emotion_platform_tests bench

bench: setup
	$(BIN)/python bench/transcription.py

# Re-resolve the lock file after changing pyproject.toml (needs the registries).
lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev -c requirements/constraints.txt \
	  --find-links /opt/wheels --index-strategy unsafe-best-match --python-version 3.11 \
	  --no-emit-package triton -o requirements/lock.txt

clean-data:
	rm -rf data/media data/transcripts data/quarantine data/inbox data/predictions data/models data/training data/mlflow $(DAGSTER_HOME)

mlflow-ui: setup
	$(BIN)/mlflow ui --backend-store-uri sqlite:///$(CURDIR)/data/mlflow/mlflow.db --host 127.0.0.1 --port 5000 --workers 1

train: setup
	$(BIN)/emotion-platform train

rollback: setup
	$(BIN)/emotion-platform rollback
