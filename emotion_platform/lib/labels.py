"""The platform's one emotion label set, and how every dataset's labels map onto it.

Seven classes (Ekman's six basic emotions plus neutral), in this fixed order::

    anger, disgust, fear, joy, neutral, sadness, surprise

Mappings (source label -> platform label; ``None`` = the example is left out):

* speech ``label_std`` (RAVDESS, EmoDB, nEMO, URDU, via ``speech_index.csv``):
  angry->anger, disgust->disgust, fear->fear, happy->joy, neutral->neutral, sad->sadness,
  surprise->surprise; **calm -> left out** (RAVDESS's calm is a low-arousal neutral, but merging it
  would make "neutral" mean two acted styles; left out, 192 RAVDESS clips), **boredom -> left out**
  (EmoDB; no counterpart in the set, 81 clips).
* MELD ``label``: anger, disgust, fear, joy, neutral, sadness, surprise (identical names).
* EmoryNLP ``label`` (Willcox wheel): joyful->joy, mad->anger, neutral->neutral, sad->sadness,
  scared->fear; **peaceful and powerful -> left out** (positive states with no counterpart).
* GoEmotions ``ekman_labels``: anger, disgust, fear, joy, neutral, sadness, surprise; only
  single-label comments are used (multi-label comments have no single target).
"""

from __future__ import annotations

EMOTIONS: tuple[str, ...] = ("anger", "disgust", "fear", "joy", "neutral", "sadness", "surprise")
LABEL_TO_ID = {label: i for i, label in enumerate(EMOTIONS)}

SPEECH_LABEL_STD: dict[str, str | None] = {
    "angry": "anger",
    "disgust": "disgust",
    "fear": "fear",
    "happy": "joy",
    "neutral": "neutral",
    "sad": "sadness",
    "surprise": "surprise",
    "calm": None,
    "boredom": None,
}
MELD: dict[str, str | None] = {label: label for label in EMOTIONS}
EMORYNLP: dict[str, str | None] = {
    "joyful": "joy",
    "mad": "anger",
    "neutral": "neutral",
    "sad": "sadness",
    "scared": "fear",
    "peaceful": None,
    "powerful": None,
}
GOEMOTIONS_EKMAN: dict[str, str | None] = {label: label for label in EMOTIONS}


def map_label(mapping: dict[str, str | None], label: str) -> str | None:
    """The platform label for ``label``; raises on a label the mapping does not know (never guesses)."""
    key = label.strip().lower()
    if key not in mapping:
        raise KeyError(f"label {label!r} has no mapping; known: {sorted(mapping)}")
    return mapping[key]
