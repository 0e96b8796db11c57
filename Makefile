# emotion_platform: the two commands are `make demo` and `make test`; both set up what is missing first.
.PHONY: setup demo check test test-fast test-slow ingest ui lint lock bench clean-data mlflow-ui train rollback serve bento

VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export DVC_NO_ANALYTICS := 1
export DAGSTER_HOME ?= $(CURDIR)/.dagster_home
CODE := emotion_platform emotion_platform_tests bench scripts

setup:
	@scripts/setup.sh

demo: setup
	$(BIN)/emotion-platform demo

# Formatting, lint and types (mypy reads its settings from pyproject.toml: the emotion_platform package).
check: setup
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/mypy

# The whole suite: both tiers below.
test: setup
	$(BIN)/python -m pytest

# The fast tier: every test not marked slow (no Dagster runs of the pipelines, servers, DVC clones,
# CLI subprocesses or training); under two minutes on two cores.
test-fast: setup
	$(BIN)/python -m pytest -m "not slow"

# The slow tier: the tests marked slow (pytest.mark.slow).
test-slow: setup
	$(BIN)/python -m pytest -m slow

ingest: setup
	$(BIN)/emotion-platform ingest

ui: setup
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

lint:
	$(BIN)/ruff check $(CODE)

bench: setup
	$(BIN)/python bench/transcription.py

# The emotion service and its web page (http://127.0.0.1:3000/ui/) with the MLflow champion (docs/serving.md,
# docs/web_page.md). Development mode
# accepts the key "local-development-key" when EMOTION_PLATFORM_SERVING_API_KEYS is not set.
serve: setup
	@echo "The web page: http://127.0.0.1:3000/ui/  (API: http://127.0.0.1:3000, docs/serving.md; sign in with an API key)"
	$(BIN)/bentoml serve emotion_platform.serving.service:EmotionClassifier --host 127.0.0.1 --port 3000

# The Bento from the current champion, exported for docker/Dockerfile.bento (BentoML store: $$BENTOML_HOME or ~/bentoml).
bento: setup
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/python -m emotion_platform.serving.bento \
	  --tracking-uri "$${EMOTION_PLATFORM_MLFLOW_TRACKING_URI:-sqlite:///$(CURDIR)/data/mlflow/mlflow.db}" \
	  --export "$(CURDIR)/docker/build/emotion_classifier.bento"

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
