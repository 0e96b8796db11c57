"""The reference backend: openai-whisper (PyTorch), on a checkpoint converted from the shipped weights."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from emotion_platform.lib.transcription.base import Transcriber
from emotion_platform.lib.transcription.devices import torch_device
from emotion_platform.lib.transcription.types import Segment, Word
from emotion_platform.lib.transcription.vad import SpeechRegions


class OpenAIWhisperTranscriber(Transcriber):
    backend = "openai-whisper"

    def __init__(self, model_name: str, cache_dir: Path, device: str = "auto", beam_size: int | None = None):
        from emotion_platform.lib.whisper import load_openai_whisper

        self.model_name = model_name
        self.device = torch_device(device)
        self.beam_size = beam_size
        self.model = load_openai_whisper(model_name, cache_dir, device=self.device)
        self.language = "en" if model_name.endswith(".en") else None

    def _decode(self, audio: np.ndarray, speech: SpeechRegions) -> tuple[str | None, list[Segment]]:
        """The reference decoding: openai-whisper's own sliding window over the whole recording."""
        import whisper

        result = whisper.transcribe(
            self.model,
            audio,
            language=self.language,
            fp16=self.device == "cuda",
            word_timestamps=True,
            beam_size=self.beam_size,
            verbose=None,
        )
        segments = [
            Segment(
                id=i,
                start=round(float(s["start"]), 3),
                end=round(float(s["end"]), 3),
                text=s["text"].strip(),
                words=[
                    Word(
                        word=w["word"].strip(),
                        start=round(float(w["start"]), 3),
                        end=round(float(w["end"]), 3),
                        probability=round(float(w["probability"]), 4),
                    )
                    for w in s.get("words", [])
                ],
                avg_logprob=round(float(s["avg_logprob"]), 4),
                no_speech_prob=round(float(s["no_speech_prob"]), 4),
                compression_ratio=round(float(s["compression_ratio"]), 3),
            )
            for i, s in enumerate(result["segments"])
        ]
        return result.get("language") or self.language, segments
