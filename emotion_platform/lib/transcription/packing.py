"""Packing speech from one or more recordings into as few 30 s Whisper windows as possible.

Whisper's encoder always reads a 30 s window, so a 3 s clip costs as much as a 30 s one. The
fast path therefore keeps only the speech the voice-activity detector found, lays the speech of
several recordings end to end (with a short silence between recordings) and cuts the result into
windows of at most 30 s at piece boundaries. :class:`PackedAudio` maps times in the packed audio
back to (recording, time in that recording).
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

import numpy as np

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.transcription.vad import MAX_CHUNK_S, SpeechRegions

GAP_S = 1.0  # silence between recordings, so the decoder hears a pause where one ends


@dataclass(frozen=True)
class Piece:
    item: int
    start: float  # in the recording
    end: float
    packed_start: float

    @property
    def packed_end(self) -> float:
        return self.packed_start + (self.end - self.start)


@dataclass
class PackedAudio:
    audio: np.ndarray
    pieces: list[Piece]
    windows: list[tuple[float, float]]

    def locate(self, packed_t: float) -> tuple[int, float]:
        """(recording index, time in that recording) of a time in the packed audio."""
        starts = [p.packed_start for p in self.pieces]
        index = max(0, bisect.bisect_right(starts, packed_t) - 1)
        piece = self.pieces[index]
        t = min(max(packed_t, piece.packed_start), piece.packed_end)
        return piece.item, round(piece.start + (t - piece.packed_start), 3)


def pack(items: list[tuple[np.ndarray, SpeechRegions]], max_window_s: float = MAX_CHUNK_S) -> PackedAudio:
    """Pack the speech regions of ``items`` and cut the packed audio into windows."""
    buffers: list[np.ndarray] = []
    pieces: list[Piece] = []
    position = 0.0
    gap = np.zeros(int(GAP_S * SAMPLE_RATE), dtype=np.float32)
    for index, (audio, speech) in enumerate(items):
        if pieces:
            buffers.append(gap)
            position += GAP_S
        for start, end in speech.regions:
            end = min(end, start + max_window_s)
            chunk = audio[int(start * SAMPLE_RATE) : int(end * SAMPLE_RATE)]
            pieces.append(Piece(index, start, start + len(chunk) / SAMPLE_RATE, position))
            buffers.append(chunk)
            position += len(chunk) / SAMPLE_RATE
    windows: list[tuple[float, float]] = []
    for piece in pieces:
        if windows and piece.packed_end - windows[-1][0] <= max_window_s:
            windows[-1] = (windows[-1][0], piece.packed_end)
        else:
            windows.append((piece.packed_start, piece.packed_end))
    audio = np.concatenate(buffers).astype(np.float32, copy=False) if buffers else np.zeros(0, np.float32)
    return PackedAudio(audio=audio, pieces=pieces, windows=windows)
