"""JSON log lines: one object per line, with the ids bound to the process, a provider and a block."""

import io
import json
import logging

import pytest

from emotion_platform.lib import logs


@pytest.fixture()
def json_lines():
    stream = io.StringIO()
    logs.configure("json", stream=stream)
    yield stream
    logs.configure("console", level=logging.WARNING)
    logging.captureWarnings(False)


def test_each_record_is_one_json_object_with_its_context(json_lines) -> None:
    logs.bind_process(model_version="7")
    with logs.log_context(run_id="run-1", partition="abc-clip.wav", media_id="abc-clip.wav"):
        logging.getLogger("emotion_platform.test").info("decoded %d s", 12, extra={"frames": 3})
    logging.getLogger("emotion_platform.test").warning("after the block\nwith a second line")
    first, second = (json.loads(line) for line in json_lines.getvalue().splitlines())
    assert first["message"] == "decoded 12 s" and first["level"] == "INFO"
    assert first["logger"] == "emotion_platform.test" and first["time"].endswith("+00:00")
    assert (first["run_id"], first["partition"], first["media_id"], first["frames"]) == (
        "run-1",
        "abc-clip.wav",
        "abc-clip.wav",
        3,
    )
    assert first["model_version"] == second["model_version"] == "7"
    assert "run_id" not in second and second["message"] == "after the block\nwith a second line"
    assert logs.is_structured()


def test_exceptions_and_warnings_stay_inside_json_lines(json_lines) -> None:
    import warnings

    try:
        raise ValueError("bad input")
    except ValueError:
        logging.getLogger("x").exception("failed")
    warnings.warn("an old option", UserWarning, stacklevel=1)
    records = [json.loads(line) for line in json_lines.getvalue().splitlines()]
    assert "ValueError: bad input" in records[0]["exc_info"]
    assert any("an old option" in r["message"] for r in records[1:])


def test_a_provider_adds_fields_and_empty_ids_are_left_out(json_lines) -> None:
    current = {"request_id": None}
    logs.add_context_provider(lambda: dict(current))
    logging.getLogger("svc").info("idle")
    current["request_id"] = "00f1"
    logging.getLogger("svc").info("serving")
    idle, serving = (json.loads(line) for line in json_lines.getvalue().splitlines())
    assert "request_id" not in idle and serving["request_id"] == "00f1"
