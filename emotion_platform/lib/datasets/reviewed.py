"""Reviewer corrections from the web page as training examples (the platform's own media).

Each correction becomes a text example: the segment's transcript with the emotion the reviewer chose.
``group`` is the media file's SHA-256, so all segments of one file stay together, and the published
split is ``train``: media people sent is never in a validation or test split, whose numbers must stay
comparable between models.
"""

from __future__ import annotations

import pandas as pd

from emotion_platform.lib.datasets.text import COLUMNS
from emotion_platform.lib.labels import EMOTIONS

SOURCE = "reviewed"
EXTRA_COLUMNS = ["reviewer", "predicted", "model_version", "corrected_at", "media_file", "start_s", "end_s"]


def reviewed_examples(corrections: list[dict]) -> pd.DataFrame:
    """Training rows (:data:`~emotion_platform.lib.datasets.text.COLUMNS` plus provenance) from corrections."""
    rows = []
    for c in corrections:
        text = (c.get("text") or "").strip()
        if not text or c["corrected"] not in EMOTIONS:
            continue  # a segment with no words teaches the text branch nothing
        rows.append(
            {
                "example_id": f"{SOURCE}-{c['analysis_id']}-{c['segment_index']}",
                "source": SOURCE,
                "modality": "text",
                "text": text,
                "context": "",
                "label": c["corrected"],
                "speaker": f"{SOURCE}-{c['sha256'][:12]}",
                "group": c["sha256"],
                "official_split": "train",
                "reviewer": c["reviewer"],
                "predicted": c["predicted"],
                "model_version": c.get("model_version") or "",
                "corrected_at": pd.Timestamp(c["created_at"]).isoformat(),
                "media_file": c["filename"],
                "start_s": float(c["start_s"]),
                "end_s": float(c["end_s"]),
            }
        )
    return pd.DataFrame(rows, columns=COLUMNS + EXTRA_COLUMNS)
