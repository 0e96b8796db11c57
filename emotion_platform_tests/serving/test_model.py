"""Loading the model to serve: the MLflow alias, a clear error without one, the reduced-precision check."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.errors import NoChampion
from emotion_platform.serving import model as serving_model
from emotion_platform.serving.model import load_from_registry, reduced_dtype, with_reduced_precision

pytestmark = pytest.mark.slow


def test_loads_the_version_behind_the_alias(champion) -> None:
    loaded = load_from_registry(champion.tracking_uri, champion.name, "champion", "cpu", precision="float32")
    assert (loaded.version, loaded.device, loaded.precision) == (champion.version, "cpu", "float32")
    assert loaded.bundle.text.bucket_shapes  # served batches run at a few bucketed shapes


def test_reduced_precision_follows_the_device_and_the_cpu(monkeypatch) -> None:
    assert reduced_dtype("cuda", "auto") == torch.float16
    assert reduced_dtype("cuda", "float32") is None
    monkeypatch.setattr(serving_model, "cpu_has_native_bfloat16", lambda: True)
    assert reduced_dtype("cpu", "auto") == torch.bfloat16
    monkeypatch.setattr(serving_model, "cpu_has_native_bfloat16", lambda: False)
    assert reduced_dtype("cpu", "auto") is None


def test_a_bfloat16_cpu_serves_the_reduced_copy_it_checked(champion, monkeypatch) -> None:
    monkeypatch.setattr(serving_model, "cpu_has_native_bfloat16", lambda: True)
    loaded = load_from_registry(champion.tracking_uri, champion.name, "champion", "cpu")
    assert loaded.precision == "bfloat16"
    reference = EmotionBundle.load(champion.bundle_dir).text
    texts = ["I am so happy for you!", "Get out of my room.", "Okay."]
    gap = np.abs(loaded.bundle.text.predict_proba(texts) - reference.predict_proba(texts)).max()
    assert gap <= serving_model.REDUCED_PRECISION_TOLERANCE


def test_no_model_under_the_alias_is_a_clear_error(champion) -> None:
    with pytest.raises(NoChampion, match="'previous-champion'.*nothing to serve"):
        load_from_registry(champion.tracking_uri, champion.name, "previous-champion", "cpu")


def test_reduced_precision_is_kept_only_when_it_keeps_the_probabilities(champion) -> None:
    reference = EmotionBundle.load(champion.bundle_dir).text
    kept = with_reduced_precision(reference, torch.bfloat16, tolerance=0.05)
    assert next(kept.model.parameters()).dtype == torch.bfloat16
    assert next(reference.model.parameters()).dtype == torch.float32  # the reference is not changed
    assert with_reduced_precision(reference, torch.bfloat16, tolerance=0.0) is reference


def test_the_registered_bundle_folder_is_downloaded_as_it_was_logged(champion) -> None:
    from emotion_platform.lib.tracking import download_registered_bundle

    folder = download_registered_bundle(champion.tracking_uri, f"models:/{champion.name}/{champion.version}")
    logged = sorted(p.relative_to(champion.bundle_dir) for p in champion.bundle_dir.rglob("*") if p.is_file())
    assert sorted(p.relative_to(folder) for p in folder.rglob("*") if p.is_file()) == logged
