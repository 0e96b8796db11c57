"""The resources' settings are the lib models' fields: the same defaults and descriptions, overridable."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from emotion_platform.assets.drift.resources import DriftMonitorResource
from emotion_platform.lib.drift.report import DriftPolicy
from emotion_platform.lib.gate import GateConfig
from emotion_platform.lib.media.limits import MediaLimits
from emotion_platform.resources import StorageResource
from emotion_platform.resources.mlflow import PromotionPolicyResource


def _declared(model: type[BaseModel], name: str) -> tuple:
    field = model.model_fields[name]
    return field.default, field.description


@pytest.mark.parametrize(
    ("resource", "model", "names"),
    [
        (StorageResource, MediaLimits, {name: name for name in MediaLimits.model_fields}),
        (PromotionPolicyResource, GateConfig, {name: name for name in GateConfig.model_fields}),
        (
            DriftMonitorResource,
            DriftPolicy,
            {
                "alpha": "alpha",
                "drift_share": "drift_share",
                "min_window_rows": "min_rows",
                "min_column_rows": "min_column_rows",
            },
        ),
    ],
)
def test_each_resource_field_is_declared_by_its_model(resource, model, names: dict[str, str]) -> None:
    assert set(names.values()) == set(model.model_fields)
    for field, source in names.items():
        assert _declared(resource, field) == _declared(model, source), field


def test_a_default_resource_builds_the_models_defaults(tmp_path) -> None:
    storage = StorageResource(root=str(tmp_path), inbox=str(tmp_path / "inbox"))
    assert storage.limits == MediaLimits()
    assert PromotionPolicyResource().gate == GateConfig()
    drift = DriftMonitorResource(tracking_uri="sqlite:///x.db", artifact_root=str(tmp_path))
    assert drift.policy == DriftPolicy()


def test_configured_values_reach_the_models(tmp_path) -> None:
    storage = StorageResource(root=str(tmp_path), inbox=str(tmp_path), max_bytes=10, max_channels=2)
    assert storage.limits == MediaLimits(max_bytes=10, max_channels=2)
    gate = PromotionPolicyResource(min_weighted_f1=0.05, max_p95_latency_ms=2000, tolerance=0.0).gate
    assert gate == GateConfig(min_weighted_f1=0.05, max_p95_latency_ms=2000.0, tolerance=0.0)
    drift = DriftMonitorResource(tracking_uri="sqlite:///x.db", artifact_root=str(tmp_path), min_window_rows=5)
    assert drift.policy == DriftPolicy(min_rows=5)


def test_the_drift_policy_still_refuses_shares_outside_zero_to_one() -> None:
    with pytest.raises(ValueError, match=r"alpha and drift_share must be in \(0, 1\)"):
        DriftPolicy(alpha=1.5)
