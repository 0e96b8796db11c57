"""Utterances to emotion distributions with the champion's text branch."""

from __future__ import annotations

from emotion_platform.lib.bundle import EmotionBundle
from emotion_platform.lib.labels import EMOTIONS


def classify_utterances(bundle: EmotionBundle, utterances: list[str]) -> list[dict]:
    """One ``{"text", "emotions", "top"}`` per utterance, in order.

    Each utterance is classified on its own (an empty previous-utterance context, as the first
    line of a dialogue is in training), so results do not depend on what it was batched with.
    """
    if not utterances:
        return []
    probs = bundle.text.predict_proba(list(utterances), [""] * len(utterances))
    out: list[dict] = []
    for text, row in zip(utterances, probs, strict=True):
        emotions = {e: round(float(p), 4) for e, p in zip(EMOTIONS, row, strict=True)}
        out.append({"text": text, "emotions": emotions, "top": max(emotions, key=emotions.__getitem__)})
    return out
