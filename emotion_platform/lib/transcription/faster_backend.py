"""The fast backend: faster-whisper on CTranslate2 (int8 on CPU, float16 on GPU), VAD-batched."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from emotion_platform.lib.transcription.base import Transcriber
from emotion_platform.lib.transcription.devices import ctranslate2_device
from emotion_platform.lib.transcription.types import Segment, Word


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
        self.batch_size = batch_size
        self.model = WhisperModel(
            str(model_dir), device=self.device, compute_type=compute_type,
            cpu_threads=cpu_threads or (os.cpu_count() or 1),
        )
        self.pipeline = BatchedInferencePipeline(self.model) if batch_size > 1 else None
        self.language = "en" if model_name.endswith(".en") else None

    def _decode(self, audio: np.ndarray) -> tuple[str | None, list[Segment]]:
        options = {"language": self.language, "beam_size": self.beam_size, "word_timestamps": True}
        if self.pipeline is not None:
            raw_segments, info = self.pipeline.transcribe(audio, batch_size=self.batch_size, **options)
        else:
            raw_segments, info = self.model.transcribe(
                audio, vad_filter=True, condition_on_previous_text=False, **options
            )
        segments = [
            Segment(
                id=i,
                start=round(s.start, 3),
                end=round(s.end, 3),
                text=s.text.strip(),
                words=[
                    Word(word=w.word.strip(), start=round(w.start, 3), end=round(w.end, 3),
                         probability=round(w.probability, 4))
                    for w in (s.words or [])
                ],
                avg_logprob=round(s.avg_logprob, 4),
                no_speech_prob=round(s.no_speech_prob, 4),
                compression_ratio=round(s.compression_ratio, 3),
            )
            for i, s in enumerate(raw_segments)
        ]
        return info.language or self.language, segments
