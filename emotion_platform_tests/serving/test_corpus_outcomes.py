"""Every kind of bad input gets an answer: one table of the corpus, its outcome in the pipeline (inbox sensor,
``media`` and ``transcripts`` assets) and through the service (in process), against what is expected.

``pytest -s`` prints the table. A pipeline outcome is "quarantined at <stage>: <code>" or "completed:
<transcript status>"; a service outcome is "<HTTP status> <error code>" or "200 <transcript status>".
"""

from __future__ import annotations

import pytest

from emotion_platform_tests.corpus_pipeline import pipeline_outcome
from emotion_platform_tests.serving.expectations import (
    ACCEPTED_EMPTY,
    ACCEPTED_SPEECH,
    NOT_UPLOADABLE,
    REJECTED,
    service_outcome,
)

pytestmark = pytest.mark.slow

# Until service.py registers UploadNameGuard, BentoML fails to store an upload under a 255-byte name.


def answered(response) -> str:
    if response.status_code >= 500:
        return f"{response.status_code} server error"
    body = response.json()
    return (
        f"200 {body['transcript']['status']}"
        if response.status_code == 200
        else f"{response.status_code} {body['error']}"
    )


def render(rows: list[tuple[str, str, str]]) -> str:
    def shown(name: str) -> str:
        text = repr(name)[1:-1]
        return text if len(text) <= 36 else text[:33] + "..."

    header = ("name", "pipeline outcome", "service outcome")
    cells = [header] + [(shown(n), p, s) for n, p, s in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(3)]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def test_every_corpus_file_has_one_stated_service_outcome(bad_corpus) -> None:
    _, cases = bad_corpus
    stated = [set(REJECTED), set(ACCEPTED_EMPTY), set(ACCEPTED_SPEECH), set(NOT_UPLOADABLE)]
    for case in cases:
        assert sum(case.name in names for names in stated) == 1, case.name
    assert set().union(*stated) == {c.name for c in cases}  # nothing stated for a file the corpus lacks


def test_every_kind_of_bad_input_ends_as_the_table_says(corpus_pipeline, corpus_answer) -> None:
    observed, expected = [], []
    for case in corpus_pipeline["cases"]:
        service = "n/a" if case.name in NOT_UPLOADABLE else answered(corpus_answer(case.name))
        observed.append((case.name, pipeline_outcome(corpus_pipeline, case.name), service))
        expected.append((case.name, case.pipeline_outcome, service_outcome(case.name)))
    print(f"\n{len(observed)} kinds of bad input\n{render(observed)}")
    assert render(observed) == render(expected)
    assert observed == expected
    # The pipeline and the service give one file the same reason code (or the same transcript status).
    for name, pipeline, service in expected:
        if service != "n/a":
            assert pipeline.split(": ")[-1].split(" ")[0] == service.split(" ")[1], name
