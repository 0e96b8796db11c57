"""The model card that goes with every champion: data, metrics, limits, intended use."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emotion_platform.lib.labels import EMOTIONS

if TYPE_CHECKING:
    from emotion_platform.lib.model_runs import CandidateRecord

DATA_NOTES = {
    "meld": "MELD (Friends TV dialogues, GPL-3.0 repository; research use)",
    "emorynlp": "EmoryNLP (Friends TV dialogues, GPL-3.0 repository; research use)",
    "goemotions": "GoEmotions single-label Reddit comments (Apache-2.0)",
    "ravdess_speech": "RAVDESS acted English speech, 24 actors (CC BY-NC-SA 4.0: non-commercial)",
    "emodb_2s": "EmoDB acted German speech, 10 speakers (CC0-1.0 packaging)",
    "nemo_pl": "nEMO acted Polish speech, 9 speakers (CC BY-NC-SA 4.0: non-commercial)",
    "urdu_ser": "URDU talk-show speech (research use only)",
    "espeak_ng": "MELD training lines spoken with espeak-ng, labelled neutral voice (synthetic prosody)",
}


def _speech_table(speech: dict) -> str:
    if not speech:
        return "not evaluated (no speech data)"
    rows = ["| branch | accuracy | UAR | macro F1 |", "|---|---|---|---|"]
    rows += [f"| {name} | {m['accuracy']:.3f} | {m['uar']:.3f} | {m['macro_f1']:.3f} |" for name, m in speech.items()]
    return "\n".join(rows)


def _encoder(spec: dict | None) -> str:
    if not spec:
        return "none in this model"
    return f"Whisper {spec['whisper_model']}, block {spec['layer']}, {spec['pooling']} pooling"


def render_model_card(
    name: str, version: str, training: CandidateRecord, evaluation: dict, gate_reasons: list[str]
) -> str:
    """Markdown for one model version. ``training``: the candidate's record (sources, counts, config,
    branches); ``evaluation``: its test metrics."""
    per_class = " | ".join(f"{evaluation['per_class_f1'][e]:.3f}" for e in EMOTIONS)
    sources = "\n".join(f"- {DATA_NOTES.get(s, s)}: {n} training examples" for s, n in training.train_counts.items())
    config = "\n".join(f"- `{k}`: {v}" for k, v in sorted(training.config.items()))
    return f"""# Model card: {name} version {version}

## Intended use
Emotion classification of English utterances (transcribed speech or text) into seven classes:
{", ".join(EMOTIONS)}. For research and product analytics on conversational media, as one input among
others; not for decisions about individuals (hiring, credit, health, law enforcement).

## Training data
{sources}

Labels are mapped onto the seven classes as documented in `emotion_platform/lib/labels.py`.
Several sources are non-commercial or research-only: a model trained on them inherits those terms.

## Model
Text branch: fine-tuned `{training.base_encoder}` (MiniLM-L6, 22M parameters) with a classification head,
reading the utterance with the previous utterance as context. Speech branch: the pretrained Whisper
encoder ({_encoder(training.speech_encoder)}), its states mean-pooled over each segment
(silence trimmed), and a logistic-regression head trained on every speech corpus above with
corpus- and class-balanced weights (no per-speaker normalisation: one segment is scaled as training
clips were), calibrated by temperature on held-out speakers. Face branch (video):
{training.face_model or "none"} on Haar-cascade face detections; not trained or evaluated by the
platform (no labelled video was available), fused with a prior weight ({training.face_weight}).
Fusion of words and voice: {training.fusion}, fitted on held-out speech clips
(the voice carries the label) and MELD validation lines spoken with espeak-ng (the words carry it),
the text branch reading Whisper's transcript of each recording.
Text probabilities are calibrated by
temperature scaling fitted on the validation split (T = {evaluation.get("temperature", 1.0):.3f}).

Configuration:
{config}

## Evaluation (test split: {evaluation["n"]} examples)
| accuracy | macro F1 | weighted F1 | UAR | ECE (calibrated) | p50 / p95 latency, CPU, batch 1 | size |
|---|---|---|---|---|---|---|
| {evaluation["accuracy"]:.3f} | {evaluation["macro_f1"]:.3f} | {evaluation["weighted_f1"]:.3f} \
| {evaluation["uar"]:.3f} | {evaluation["ece"]:.3f} \
| {evaluation["latency"]["p50_ms"]:.1f} / {evaluation["latency"]["p95_ms"]:.1f} ms | {evaluation["size_mb"]:.1f} MB |

Per-class F1 ({", ".join(EMOTIONS)}): {per_class}

Speech test split (speaker-independent; the text branch reads each clip's sentence):
{_speech_table(evaluation.get("speech", {}))}


## Promotion
{chr(10).join("- " + r for r in gate_reasons)}

## Limits
- Trained on scripted TV dialogue and acted speech: spontaneous speech, other languages, accents and
  domains will score lower; minority classes (disgust, fear) are the least reliable.
- Text carries only part of the emotion; sarcasm and prosody-only cues are missed by this branch.
- The speech branch learnt from acted studio speech (English, German, Polish) and Urdu talk shows:
  read or spontaneous speech with mild emotion is mostly called neutral, and surprise, fear and disgust
  (acted in one or two corpora only) are its weakest classes. Non-speech audio gets no speech emotion.
- A segment whose fused top probability is below 0.40 is flagged low-confidence: read its label as a guess.
- Transcription errors upstream (Whisper) propagate into the prediction.
"""
