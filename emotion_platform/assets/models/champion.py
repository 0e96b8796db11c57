"""``champion_model``: the candidate that passed the gate becomes the champion, with its model card."""

import shutil
from pathlib import Path

import dagster as dg

from emotion_platform.assets.models.evaluation import model_evaluation
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib import atomic
from emotion_platform.lib.gate import decide
from emotion_platform.lib.model_card import render_model_card
from emotion_platform.lib.model_runs import ChampionRecord, EvaluationRecord
from emotion_platform.lib.tracking import log_artifact
from emotion_platform.resources import RECORD_IO_MANAGER, StorageResource
from emotion_platform.resources.mlflow import ModelRegistryResource, PromotionPolicyResource
from emotion_platform.resources.record_io import stored_at

CHAMPION_RECORD_FILE = "models/records/champion.json"  # where the record IO manager keeps the champion's record


@dg.asset(
    group_name=MODELS_GROUP,
    kinds={"mlflow"},
    deps=[model_evaluation],
    io_manager_key=RECORD_IO_MANAGER,
    metadata=stored_at(CHAMPION_RECORD_FILE),
)
def champion_model(
    context: dg.AssetExecutionContext,
    model_evaluation: EvaluationRecord,
    storage: StorageResource,
    model_registry: ModelRegistryResource,
    promotion_policy: PromotionPolicyResource,
) -> dg.MaterializeResult[ChampionRecord]:
    """The approved model: moves the MLflow alias ``champion`` (the gate check has passed)."""
    decision = decide(model_evaluation.candidate, model_evaluation.champion, promotion_policy.gate)
    if not decision.passed:
        raise dg.Failure(f"promotion gate failed: {'; '.join(decision.reasons)}")
    registry = model_registry.registry
    version = model_evaluation.version
    previous = registry.champion()
    registry.promote(version, "; ".join(decision.reasons))
    card = render_model_card(
        model_registry.model_name, version, model_evaluation.model, model_evaluation.candidate, decision.reasons
    )
    cards = Path(storage.root) / "models" / "cards"
    card_path = atomic.write_text(cards / f"{model_registry.model_name}-v{version}.md", card)
    log_artifact(model_registry.tracking_uri, model_evaluation.model.mlflow_run_id, card_path, "model_card")
    shutil.copyfile(card_path, card_path.with_name(f"{model_registry.model_name}-champion.md"))
    model_uri = f"models:/{model_registry.model_name}@champion"
    return dg.MaterializeResult(
        value=ChampionRecord(version=version, model_uri=model_uri, card=str(card_path)),
        metadata={
            "champion_version": version,
            "previous_champion": str(previous.version) if previous else "none",
            "model_uri": model_uri,
            "model_card": dg.MetadataValue.md(card),
        },
    )
