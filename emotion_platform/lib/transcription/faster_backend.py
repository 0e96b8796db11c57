"""The fast backend: faster-whisper on CTranslate2 (int8 on CPU, float16 on GPU), batched.

Only the speech the voice-activity detector found is decoded: it is packed into as few 30 s
Whisper windows as possible (see :mod:`packing`), across recordings when several are transcribed
together, and the windows are decoded ``batch_size`` at a time. Times are mapped back to each
recording afterwards.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from emotion_platform.lib.transcription.base import Decoded, OnProgress, Transcriber, no_progress
from emotion_platform.lib.transcription.devices import ctranslate2_device
from emotion_platform.lib.transcription.packing import PackedAudio, pack
from emotion_platform.lib.transcription.types import Segment, Word
from emotion_platform.lib.transcription.vad import SpeechRegions


class FasterWhisperTranscriber(Transcriber):
    backend = "faster-whisper"

    def __init__(
        self,
        model_name: str,
        model_dir: Path,
        device: str = "auto",
        compute_type: str = "auto",
        cpu_threads: int = 0,
        batch_size: int = 8,
        beam_size: int = 1,
    ):
        from faster_whisper import BatchedInferencePipeline, WhisperModel

        self.model_name = model_name
        self.device = ctranslate2_device(device)
        if compute_type == "auto":
            compute_type = "float16" if self.device == "cuda" else "int8"
        self.compute_type = compute_type
        self.beam_size = beam_size
        self.batch_size = max(1, batch_size)
        self.model = WhisperModel(
            str(model_dir),
            device=self.device,
            compute_type=compute_type,
            cpu_threads=cpu_threads or (os.cpu_count() or 1),
        )
        self.pipeline = BatchedInferencePipeline(self.model)
        self.language = "en" if model_name.endswith(".en") else None

    def _decode(self, audio: np.ndarray, speech: SpeechRegions) -> Decoded:
        return self._decode_many([(audio, speech)], no_progress)[0]

    def _decode_many(self, items: list[tuple[np.ndarray, SpeechRegions]], on_progress: OnProgress) -> list[Decoded]:
        if not items:
            return []
        packed = pack(items)
        raw_segments, info = self.pipeline.transcribe(
            packed.audio,
            language=self.language,
            beam_size=self.beam_size,
            word_timestamps=True,
            batch_size=self.batch_size,
            vad_filter=False,
            clip_timestamps=[{"start": start, "end": end} for start, end in packed.windows],
        )
        per_item: list[list[Segment]] = [[] for _ in items]
        for done, raw in enumerate(raw_segments, start=1):  # one raw segment per window, as each batch ends
            for index, segment in _unpack_segment(raw, packed):
                per_item[index].extend(split_sentences(segment))
            on_progress(min(done, len(packed.windows)), len(packed.windows))
        return [(info.language or self.language, sorted(segs, key=lambda s: s.start)) for segs in per_item]


SENTENCE_END = (".", "?", "!")


def split_sentences(segment: Segment) -> list[Segment]:
    """Batched decoding yields one segment per window (up to 30 s); split it at sentence ends so that
    each segment is one utterance (what per-segment emotions are about)."""
    if not segment.words:
        return [segment]
    pieces, current = [], []
    for word in segment.words:
        current.append(word)
        if word.word.endswith(SENTENCE_END):
            pieces.append(current)
            current = []
    if current:
        pieces.append(current)
    if len(pieces) == 1:
        return [segment]
    return [
        segment.model_copy(
            update={
                "start": words[0].start,
                "end": max(words[-1].end, words[0].start + 0.01),
                "text": " ".join(w.word for w in words),
                "words": words,
            }
        )
        for words in pieces
    ]


def _unpack_segment(raw, packed: PackedAudio) -> list[tuple[int, Segment]]:
    """One decoded segment as segments of the recordings it covers (usually exactly one)."""
    words_by_item: dict[int, list[Word]] = {}
    for w in raw.words or []:
        item, start = packed.locate(w.start)
        _, end = packed.locate(max(w.start, w.end - 1e-3))
        words_by_item.setdefault(item, []).append(
            Word(word=w.word.strip(), start=start, end=max(start, end), probability=round(w.probability, 4))
        )
    if not words_by_item:
        item, start = packed.locate(raw.start)
        _, end = packed.locate(raw.end)
        words_by_item[item] = []
        bounds = {item: (start, end)}
    else:
        bounds = {item: (ws[0].start, ws[-1].end) for item, ws in words_by_item.items()}
    split = len(words_by_item) > 1
    return [
        (
            item,
            Segment(
                id=0,
                start=bounds[item][0],
                end=max(bounds[item][1], bounds[item][0] + 0.01),
                text=" ".join(w.word for w in words) if split else raw.text.strip(),
                words=words,
                avg_logprob=round(raw.avg_logprob, 4),
                no_speech_prob=round(raw.no_speech_prob, 4),
                compression_ratio=round(raw.compression_ratio, 3),
            ),
        )
        for item, words in words_by_item.items()
    ]
