"""Training data, the candidate text model, its evaluation, and the champion behind the gate."""

import shutil
from pathlib import Path
from typing import Any

import dagster as dg
import mlflow
import pandas as pd
from dagster_mlflow.resources import MlFlow

from emotion_platform.assets.datasets.assets import DATASET_KEYS
from emotion_platform.assets.models.config import EvaluationConfig, TextModelConfig, TrainingDataConfig
from emotion_platform.assets.models.reviewed import reviewed_labels, reviewed_labels_path
from emotion_platform.assets.progress import run_log_progress
from emotion_platform.constants import MODELS_GROUP
from emotion_platform.lib import atomic
from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.datasets.speech import load_speech
from emotion_platform.lib.datasets.splits import assign_splits, speakers_in_several_splits, split_summary
from emotion_platform.lib.datasets.spoken import flat_voice_examples, spoken_examples
from emotion_platform.lib.datasets.text import COLUMNS as TEXT_COLUMNS
from emotion_platform.lib.datasets.text import load_text
from emotion_platform.lib.evaluation import evaluate_text_model
from emotion_platform.lib.gate import decide
from emotion_platform.lib.labels import LABEL_TO_ID
from emotion_platform.lib.metrics import classification_metrics, confusion_matrix_png
from emotion_platform.lib.model_card import render_model_card
from emotion_platform.lib.progress import Progress
from emotion_platform.lib.speech.training import (
    ClipTranscriber,
    branch_inputs,
    fit_words_voice_fusion,
    train_speech_branch,
)
from emotion_platform.lib.text_model.encoder import minilm_dir
from emotion_platform.lib.text_model.train import TextTrainConfig, train_text_classifier
from emotion_platform.lib.tracking import CHAMPION, load_registered_bundle, log_bundle
from emotion_platform.resources import StorageResource, TranscriberResource
from emotion_platform.resources.mlflow import DatasetsResource, ModelRegistryResource, PromotionPolicyResource
from emotion_platform.serving.packaging import pip_requirements

# The registered model's environment: the service's pins (requirements/serving.txt) and this package.
MODEL_PIP_REQUIREMENTS = [*pip_requirements("torch", "transformers", "pandas"), "emotion_platform"]


def _write_parquet(df: pd.DataFrame, dest: Path) -> Path:
    with atomic.atomic_path(dest) as tmp:
        df.to_parquet(tmp, index=False)
    return dest


def _table_md(df: pd.DataFrame) -> str:
    return df.to_markdown() if hasattr(df, "to_markdown") else df.to_string()


@dg.asset(group_name=MODELS_GROUP, kinds={"pandas"}, deps=[*DATASET_KEYS, reviewed_labels])
def training_examples(
    config: TrainingDataConfig, datasets: DatasetsResource, storage: StorageResource
) -> dg.MaterializeResult[str]:
    """Labelled examples from the real datasets, on the platform's seven-emotion label set, and the
    reviewers' corrections (``reviewed_labels``, train split only) when there are any."""
    text = load_text(datasets.path, config.text_sources)
    speech = load_speech(datasets.path, config.speech_sources)
    reviewed_file = reviewed_labels_path(storage)
    reviewed = pd.read_parquet(reviewed_file)[TEXT_COLUMNS] if reviewed_file.exists() else None
    df = pd.concat([text, reviewed, speech], ignore_index=True)
    path = _write_parquet(df, Path(storage.root) / "training" / "examples.parquet")
    counts = df.groupby(["source", "label"]).size().unstack(fill_value=0)
    return dg.MaterializeResult(
        value=str(path),
        metadata={
            "examples": len(df),
            "text_examples": len(text),
            "speech_examples": len(speech),
            "reviewed_examples": 0 if reviewed is None else len(reviewed),
            "sources": ", ".join(config.text_sources + config.speech_sources),
            "class_balance": dg.MetadataValue.md(_table_md(counts)),
            "file": dg.MetadataValue.path(str(path)),
        },
    )


@dg.asset(group_name=MODELS_GROUP, kinds={"pandas"})
def splits(config: TrainingDataConfig, training_examples: str, storage: StorageResource) -> dg.MaterializeResult[str]:
    """Train/validation/test: published splits where they exist (MELD test stays test), else by speaker."""
    df = assign_splits(pd.read_parquet(training_examples), seed=config.seed)
    speech_sources = sorted(df.loc[df["modality"] == "speech", "source"].unique())
    leaks = speakers_in_several_splits(df, speech_sources)
    if leaks:
        raise dg.Failure(f"speakers in several splits: {sorted(leaks)[:10]}")
    path = _write_parquet(df, Path(storage.root) / "training" / "splits.parquet")
    sizes = df.groupby(["split"]).size().to_dict()
    return dg.MaterializeResult(
        value=str(path),
        metadata={
            "train": sizes.get("train", 0),
            "validation": sizes.get("validation", 0),
            "test": sizes.get("test", 0),
            "speakers_in_two_splits (speech)": 0,
            "seed": config.seed,
            "counts": dg.MetadataValue.md(_table_md(split_summary(df))),
            "file": dg.MetadataValue.path(str(path)),
        },
    )


def _text_split(splits_path: str, split: str, limit: int | None, seed: int) -> pd.DataFrame:
    df = pd.read_parquet(splits_path)
    df = df[(df["modality"] == "text") & (df["split"] == split)]
    return df.sample(limit, random_state=seed) if limit and len(df) > limit else df


def _speech_split(splits_path: str, split: str, limit: int | None, seed: int) -> pd.DataFrame:
    df = pd.read_parquet(splits_path)
    df = df[(df["modality"] == "speech") & (df["split"] == split)]
    return df.sample(limit, random_state=seed) if limit and len(df) > limit else df


def _labels(df: pd.DataFrame):
    return df["label"].map(LABEL_TO_ID).to_numpy()


@dg.asset(group_name=MODELS_GROUP, kinds={"pytorch", "sklearn", "mlflow"})
def emotion_model(
    context: dg.AssetExecutionContext,
    config: TextModelConfig,
    splits: str,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    mlflow: dg.ResourceParam[MlFlow],
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[dict]:
    """The candidate: MiniLM fine-tuned on text, a speech branch on Whisper's encoder, and their fusion
    (fitted on what the transcriber hears in each recording, cached per clip).

    Tracked as one MLflow run (tagged with the Dagster run id) and registered as one model version.
    """
    tracker: Any = mlflow  # MlFlow's metaclass copies the mlflow module's functions onto it, out of mypy's sight
    train = _text_split(splits, "train", config.max_train_examples, config.seed)
    validation = _text_split(splits, "validation", config.max_validation_examples, config.seed)
    base = minilm_dir() if config.encoder == "minilm" else Path(config.encoder)
    with run_log_progress(context):  # live in the run log; a warning when it stalls
        rates = config.search_learning_rates or [config.learning_rate]
        best = None
        search = Progress("learning-rate search", len(rates), "rates", every_s=0.0) if len(rates) > 1 else None
        for rate in rates:
            train_config = TextTrainConfig(
                learning_rate=rate,
                epochs=config.epochs,
                batch_size=config.batch_size,
                max_length=config.max_length,
                class_weighting=config.class_weighting,
                use_context=config.use_context,
                selection_metric=config.selection_metric,
                seed=config.seed,
            )
            prefix = f"lr_{rate:g}/" if len(rates) > 1 else ""

            def log_epoch(row: dict, p: str = prefix) -> None:
                tracker.log_metrics({f"{p}{k}": v for k, v in row.items() if k != "epoch"}, step=row["epoch"])

            result = train_text_classifier(train, validation, base, train_config, on_epoch=log_epoch)
            metric = config.selection_metric
            context.log.info(f"lr {rate:g}: validation {metric} {result.validation[metric]:.4f}")
            if best is None or result.validation[metric] > best.validation[metric]:
                best = result
            if search is not None:
                search.advance(**{f"best {metric}": best.validation[metric]})
        assert best is not None  # rates is never empty
        speech_train = _speech_split(splits, "train", config.max_speech_examples, config.seed)
        speech_val = _speech_split(splits, "validation", config.max_speech_examples, config.seed)
        cache = Path(datasets.feature_cache)
        speech, speech_val_metrics = None, {}
        if len(speech_train):
            if config.flat_voice_lines > 0:
                lines = _text_split(splits, "train", config.flat_voice_lines, config.seed)
                flat = flat_voice_examples(lines, cache / "spoken", seed=config.seed + 1)
                speech_train = pd.concat([speech_train, flat], ignore_index=True)
            speech, report = train_speech_branch(
                speech_train, speech_val, cache, Path(datasets.model_cache), c=config.speech_c
            )
            speech_val_metrics = report.validation
            context.log.info(
                f"speech branch: {report.train_clips} clips, validation UAR "
                f"{speech_val_metrics.get('uar', float('nan')):.3f}, temperature {report.temperature:.2f}"
            )
        fusion = None
        if speech is not None and len(speech_val) and config.spoken_lines > 0:
            lines = _text_split(splits, "validation", config.spoken_lines, config.seed)
            spoken = spoken_examples(lines, cache / "spoken", seed=config.seed)
            fusion = fit_words_voice_fusion(
                best.model, speech, speech_val, spoken, cache, _clip_transcriber(transcriber)
            )
    bundle = EmotionBundle(best.model, speech, fusion)
    bundle_dir = Path(storage.root) / "models" / "bundles" / context.run.run_id
    with atomic.atomic_dir(bundle_dir, stage="training") as tmp:
        bundle.save(tmp)
    tracker.log_params(
        {
            **best.config,
            "encoder": str(base.name if config.encoder == "minilm" else base),
            "train_examples": len(train),
            "validation_examples": len(validation),
            "speech_train_examples": len(speech_train),
            "speech_c": config.speech_c,
            "spoken_fusion_lines": config.spoken_lines if fusion is not None else 0,
            "searched_learning_rates": ",".join(f"{r:g}" for r in rates),
        }
    )
    tracker.log_metrics({f"val_{k}": best.validation[k] for k in ("accuracy", "macro_f1", "weighted_f1", "ece")})
    if speech_val_metrics:
        tracker.log_metrics({f"val_speech_{k}": speech_val_metrics[k] for k in ("accuracy", "uar", "macro_f1")})
    png = confusion_matrix_png(
        best.validation["confusion_matrix"],
        bundle_dir.parent / f"{context.run.run_id}-val.png",
        "text branch, validation",
    )
    tracker.log_artifact(str(png), artifact_path="evaluation")
    info = log_bundle(bundle_dir, model_registry.model_name, MODEL_PIP_REQUIREMENTS, model_registry.tracking_uri)
    run_id = tracker.active_run().info.run_id
    train_counts = {**train["source"].value_counts().to_dict(), **speech_train["source"].value_counts().to_dict()}
    record = {
        "bundle_dir": str(bundle_dir),
        "mlflow_run_id": run_id,
        "model_uri": info.model_uri,
        "registered_model": model_registry.model_name,
        "version": str(info.registered_model_version),
        "validation": {k: best.validation[k] for k in ("accuracy", "macro_f1", "weighted_f1", "ece")},
        "train_counts": train_counts,
        "config": best.config
        | {
            "speech_c": config.speech_c,
            "flat_voice_lines": config.flat_voice_lines,
            "spoken_fusion_lines": config.spoken_lines,
        },
        **bundle.describe(),
        "base_encoder": "all-MiniLM-L6-v2" if config.encoder == "minilm" else str(base),
    }
    return dg.MaterializeResult(
        value=record,
        metadata={
            "version": record["version"],
            "mlflow_run_id": run_id,
            "best_epoch": best.best_epoch,
            "train_seconds": round(best.train_seconds, 1),
            "train_examples": len(train),
            "speech_train_examples": len(speech_train),
            "fusion": bundle.describe()["fusion"],
            **{f"val_{k}": round(v, 4) for k, v in record["validation"].items()},
            **{f"val_speech_{k}": round(speech_val_metrics[k], 4) for k in ("accuracy", "uar") if speech_val_metrics},
            "curves": dg.MetadataValue.md(_table_md(pd.DataFrame(best.history).set_index("epoch").round(4))),
        },
    )


def _clip_transcriber(transcriber: TranscriberResource) -> ClipTranscriber:
    """The platform's transcriber, with the name its cached corpus transcripts are kept under."""
    return ClipTranscriber(transcriber.get(), f"{transcriber.backend}-{transcriber.model}")


def _speech_metrics(bundle: EmotionBundle, test: pd.DataFrame, cache: Path, hears: ClipTranscriber) -> dict[str, dict]:
    """Each branch and the fusion on speech clips; the text branch reads what the transcriber hears
    in each clip, as the fusion was fitted and as the platform reads media."""
    if bundle.speech is None or not len(test):
        return {}
    text, speech = branch_inputs(bundle.text, bundle.speech, test, cache, hears)
    branches = {"text": text, "speech": speech}
    if bundle.fusion is not None:
        branches["fused"] = bundle.fusion.combine(text, speech)
    y = _labels(test)
    return {
        name: {k: v for k, v in classification_metrics(y, p).items() if k != "confusion_matrix"}
        for name, p in branches.items()
    }


@dg.asset(group_name=MODELS_GROUP, kinds={"mlflow"})
def model_evaluation(
    context: dg.AssetExecutionContext,
    config: EvaluationConfig,
    emotion_model: dict,
    splits: str,
    storage: StorageResource,
    datasets: DatasetsResource,
    model_registry: ModelRegistryResource,
    transcriber: TranscriberResource,
) -> dg.MaterializeResult[dict]:
    """Candidate (and current champion) on the test splits: F1s, calibration, CPU latency, size, per branch."""
    test = _text_split(splits, "test", config.max_test_examples, seed=7)
    speech_test = _speech_split(splits, "test", config.max_test_examples, seed=7)
    bundle_dir = Path(emotion_model["bundle_dir"])
    bundle = EmotionBundle.load(bundle_dir)
    champion_version = model_registry.registry.champion()
    compare = champion_version is not None and str(champion_version.version) != emotion_model["version"]
    champion = None
    with run_log_progress(context), Progress("evaluation", 3 if compare else 2, "parts", every_s=0.0) as progress:
        candidate = evaluate_text_model(bundle.text, bundle_dir, test, config.latency_examples)
        progress.advance(last=f"text test ({len(test)} utterances)")
        candidate["speech"] = _speech_metrics(
            bundle, speech_test, Path(datasets.feature_cache), _clip_transcriber(transcriber)
        )
        progress.advance(last=f"speech test ({len(speech_test)} clips)")
        if compare:
            champion_bundle, champion_dir = load_registered_bundle(
                model_registry.tracking_uri, f"models:/{model_registry.model_name}@{CHAMPION}"
            )
            champion = evaluate_text_model(champion_bundle.text, champion_dir, test, 10)
            champion["version"] = str(champion_version.version)
            progress.advance(last=f"champion v{champion['version']} on the text test")
    png = confusion_matrix_png(
        candidate["confusion_matrix"],
        Path(storage.root) / "models" / "evaluation" / f"{emotion_model['version']}-cm.png",
        f"{emotion_model['registered_model']} v{emotion_model['version']} (text test)",
    )
    client = mlflow.tracking.MlflowClient(model_registry.tracking_uri)
    run_id = emotion_model["mlflow_run_id"]
    for key in ("accuracy", "macro_f1", "weighted_f1", "uar", "ece", "ece_uncalibrated", "size_mb"):
        client.log_metric(run_id, f"test_{key}", candidate[key])
    for key, value in candidate["per_class_f1"].items():
        client.log_metric(run_id, f"test_f1_{key}", value)
    for branch, metrics in candidate["speech"].items():
        for key in ("accuracy", "uar", "macro_f1"):
            client.log_metric(run_id, f"speech_test_{branch}_{key}", metrics[key])
    client.log_metric(run_id, "latency_p50_ms", candidate["latency"]["p50_ms"])
    client.log_metric(run_id, "latency_p95_ms", candidate["latency"]["p95_ms"])
    client.log_artifact(run_id, str(png), artifact_path="evaluation")
    record = {
        "candidate": candidate,
        "champion": champion,
        "version": emotion_model["version"],
        "model": emotion_model,
        "test_examples": len(test),
    }
    per_class = pd.DataFrame({"f1": candidate["per_class_f1"]}).round(3)
    speech_table = (
        pd.DataFrame(candidate["speech"]).T[["accuracy", "uar", "macro_f1"]].round(4)
        if candidate["speech"]
        else pd.DataFrame()
    )
    return dg.MaterializeResult(
        value=record,
        metadata={
            "version": emotion_model["version"],
            "test_examples": len(test),
            "speech_test_examples": len(speech_test),
            "accuracy": round(candidate["accuracy"], 4),
            "macro_f1": round(candidate["macro_f1"], 4),
            "weighted_f1": round(candidate["weighted_f1"], 4),
            "uar": round(candidate["uar"], 4),
            "ece": round(candidate["ece"], 4),
            "ece_uncalibrated": round(candidate["ece_uncalibrated"], 4),
            "latency_p50_ms": round(candidate["latency"]["p50_ms"], 2),
            "latency_p95_ms": round(candidate["latency"]["p95_ms"], 2),
            "size_mb": round(candidate["size_mb"], 1),
            "per_class_f1": dg.MetadataValue.md(_table_md(per_class)),
            "speech_branches": dg.MetadataValue.md(_table_md(speech_table) if len(speech_table) else "no speech test"),
            "confusion_matrix": dg.MetadataValue.path(str(png)),
            "champion_version": champion["version"] if champion else "none",
            "champion_weighted_f1": round(champion["weighted_f1"], 4) if champion else float("nan"),
        },
    )


@dg.asset_check(asset=model_evaluation, blocking=True, description="Quality floor, latency SLO, no regression.")
def promotion_gate(model_evaluation: dict, promotion_policy: PromotionPolicyResource) -> dg.AssetCheckResult:
    """May the candidate replace the champion? Blocks ``champion_model`` when not."""
    decision = decide(model_evaluation["candidate"], model_evaluation["champion"], promotion_policy.gate)
    return dg.AssetCheckResult(
        passed=decision.passed,
        metadata={
            "version": model_evaluation["version"],
            "reasons": "; ".join(decision.reasons),
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in decision.evidence.items()},
        },
    )


@dg.asset(group_name=MODELS_GROUP, kinds={"mlflow"}, deps=[model_evaluation])
def champion_model(
    context: dg.AssetExecutionContext,
    model_evaluation: dict,
    storage: StorageResource,
    model_registry: ModelRegistryResource,
    promotion_policy: PromotionPolicyResource,
) -> dg.MaterializeResult[dict]:
    """The approved model: moves the MLflow alias ``champion`` (the gate check has passed)."""
    decision = decide(model_evaluation["candidate"], model_evaluation["champion"], promotion_policy.gate)
    if not decision.passed:
        raise dg.Failure(f"promotion gate failed: {'; '.join(decision.reasons)}")
    registry = model_registry.registry
    version = model_evaluation["version"]
    previous = registry.champion()
    registry.promote(version, "; ".join(decision.reasons))
    card = render_model_card(
        model_registry.model_name, version, model_evaluation["model"], model_evaluation["candidate"], decision.reasons
    )
    cards = Path(storage.root) / "models" / "cards"
    card_path = atomic.write_text(cards / f"{model_registry.model_name}-v{version}.md", card)
    client = mlflow.tracking.MlflowClient(model_registry.tracking_uri)
    client.log_artifact(model_evaluation["model"]["mlflow_run_id"], str(card_path), artifact_path="model_card")
    shutil.copyfile(card_path, card_path.with_name(f"{model_registry.model_name}-champion.md"))
    return dg.MaterializeResult(
        value={
            "version": version,
            "model_uri": f"models:/{model_registry.model_name}@champion",
            "card": str(card_path),
        },
        metadata={
            "champion_version": version,
            "previous_champion": str(previous.version) if previous else "none",
            "model_uri": f"models:/{model_registry.model_name}@champion",
            "model_card": dg.MetadataValue.md(card),
        },
    )


TRAINING_ASSETS = [training_examples, splits, emotion_model, model_evaluation, champion_model]
TRAINING_CHECKS = [promotion_gate]
