"""Every definition in the code location loads, and every job resolves with its resources."""

import dagster as dg

from emotion_platform.definitions import defs


def test_definitions_load() -> None:
    dg.Definitions.validate_loadable(defs)


def test_every_job_resolves() -> None:
    jobs = defs.resolve_all_job_defs()
    names = {job.name for job in jobs}
    assert "media_pipeline" in names
    for job in jobs:
        missing = {
            key for node in job.nodes_in_topological_order for key in node.definition.required_resource_keys
        } - set(job.resource_defs)
        assert not missing, f"{job.name} lacks resources {missing}"


def test_assets_are_in_their_groups() -> None:
    groups = {spec.key.to_user_string(): spec.group_name for spec in defs.resolve_all_asset_specs()}
    assert groups["media"] == "media"
    assert groups["transcripts"] == "transcripts"


def test_inbox_sensor_targets_the_media_pipeline() -> None:
    sensor = defs.resolve_sensor_def("inbox_sensor")
    assert sensor.job_name == "media_pipeline"
    assert sensor.default_status == dg.DefaultSensorStatus.RUNNING
