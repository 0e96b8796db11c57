"""Both Whisper backends on real speech nobody here recorded, and on audio with nothing to say."""

import numpy as np
import pytest

from emotion_platform.lib.audio import SAMPLE_RATE
from emotion_platform.lib.media.decode import decode_audio, load_audio
from emotion_platform.lib.media.probe import probe
from emotion_platform.lib.samples import conversation_reference
from emotion_platform.lib.transcription import build_transcriber
from emotion_platform.lib.wer import word_error_rate

pytestmark = pytest.mark.slow

BACKENDS = ["openai-whisper", "faster-whisper"]


@pytest.fixture(scope="module", params=BACKENDS)
def transcriber(request, model_cache):
    return build_transcriber(request.param, "tiny.en", model_cache, device="cpu")


def _audio(path, tmp_path):
    out = tmp_path / f"{path.stem}.16k.wav"
    decode_audio(path, out, probe(path).duration_s)
    return load_audio(out)


def test_librivox_word_error_rate_is_at_most_ten_percent(transcriber, librivox, tmp_path) -> None:
    transcripts = [transcriber.transcribe(_audio(c.path, tmp_path)) for c in librivox]
    assert all(t.status == "ok" and t.language == "en" for t in transcripts)
    wer = word_error_rate([c.reference for c in librivox], [t.text for t in transcripts])
    assert wer <= 0.10, f"{transcriber.backend}: WER {wer:.3f}"


def test_segments_carry_times_words_and_confidences(transcriber, librivox, tmp_path) -> None:
    clip = librivox[0]
    transcript = transcriber.transcribe(_audio(clip.path, tmp_path))
    assert transcript.backend == transcriber.backend and transcript.model == "tiny.en"
    for segment in transcript.segments:
        assert 0 <= segment.start < segment.end <= transcript.duration_s + 0.5
        assert segment.words and -5 < segment.avg_logprob <= 0 and 0 <= segment.no_speech_prob <= 1
        for word in segment.words:
            assert segment.start - 0.5 <= word.start <= word.end <= segment.end + 0.5
            assert 0 <= word.probability <= 1


def test_two_speaker_conversation(transcriber, samples, tmp_path) -> None:
    transcript = transcriber.transcribe(_audio(samples["conversation.wav"], tmp_path))
    reference = conversation_reference(samples["conversation.stm"])
    # Telephone-quality overlapping speech is harder than read speech; tiny.en still gets most words.
    assert word_error_rate([reference], [transcript.text]) <= 0.35
    assert transcript.segments[0].start >= 5.0  # the first words are spoken at 6.7 s


def test_silence_gives_an_empty_transcript_with_a_reason(transcriber) -> None:
    transcript = transcriber.transcribe(np.zeros(SAMPLE_RATE * 5, dtype=np.float32))
    assert transcript.status == "no_speech" and not transcript.segments
    assert "no speech detected" in transcript.reason


def test_music_gives_an_empty_transcript_with_a_reason(transcriber, samples, tmp_path) -> None:
    transcript = transcriber.transcribe(_audio(samples["music_animation.mp4"], tmp_path))
    assert transcript.status == "no_speech", transcript.text
    assert "music" in transcript.reason


def _segment(text: str, no_speech: float, word_p: float, logprob: float = -0.5):
    from emotion_platform.lib.transcription.types import Segment, Word

    return Segment(
        id=0,
        start=0,
        end=1,
        text=text,
        avg_logprob=logprob,
        no_speech_prob=no_speech,
        words=[Word(word=text, start=0, end=1, probability=word_p)],
    )


def test_hallucination_guard() -> None:
    from emotion_platform.lib.transcription.base import is_hallucination

    assert is_hallucination(_segment("...", 0.0, 0.9))
    assert is_hallucination(_segment("Mmm.", 0.61, 0.24))
    assert not is_hallucination(_segment("Mmm.", 0.61, 0.8))
    assert is_hallucination(_segment("Thank you for watching!", 0.56, 0.46, logprob=-2.8))
    assert not is_hallucination(_segment("Hello there.", 0.05, 0.3, logprob=-2.0))


def test_window_segments_are_split_into_sentences() -> None:
    from emotion_platform.lib.transcription.faster_backend import split_sentences
    from emotion_platform.lib.transcription.types import Segment, Word

    words = [
        Word(word=w, start=i, end=i + 0.5, probability=0.9)
        for i, w in enumerate(["Hello?", "Oh,", "hello.", "I", "didn't", "know"])
    ]
    segment = Segment(
        id=0, start=0, end=6, text="Hello? Oh, hello. I didn't know", words=words, avg_logprob=-0.2, no_speech_prob=0.01
    )
    pieces = split_sentences(segment)
    assert [p.text for p in pieces] == ["Hello?", "Oh, hello.", "I didn't know"]
    assert (pieces[1].start, pieces[1].end) == (1, 2.5)
