"""What the service answers for each file of the bad-input corpus (status, error code, or transcript status)."""

from emotion_platform_tests.media_corpus_hostile import CONTROL_NAMES, LONG_NAME

# Rejections: (HTTP status, error code), with a message naming the file.
REJECTED = {
    "empty.wav": (422, "empty"),
    "header_only.wav": (422, "corrupt"),
    "zero_samples.wav": (422, "too_short"),
    "cut_short.wav": (422, "corrupt"),
    "damaged_float.wav": (422, "corrupt"),
    "truncated_upload.mp4": (415, "not_media"),
    "meeting_notes.mp3": (415, "not_media"),
    "random_bytes.m4a": (415, "not_media"),
    "photo_of_speaker.png": (415, "not_media"),
    "subtitles_only.srt": (415, "no_streams"),
    "long_lecture.wav": (413, "too_large"),
    "night_recording.ogg": (413, "too_long"),
    "sample_rate_1hz.wav": (422, "corrupt"),
    "sample_rate_4ghz.wav": (413, "over_limits"),
    "no_channels.wav": (422, "corrupt"),
    "channels_65535.wav": (413, "over_limits"),
    "inflated_sizes.wav": (422, "corrupt"),
    "runaway_chunk.wav": (422, "corrupt"),
    "one_sample.wav": (422, "too_short"),
    "understated_length.mp3": (413, "too_long"),
    "huge_frame_8000x8000.mkv": (413, "over_limits"),
    "growing_frames.mkv": (413, "over_limits"),
    "100_audio_streams.mkv": (413, "over_limits"),
    "archive.zip": (415, "not_media"),
    "no_moov.mp4": (415, "not_media"),
    "playlist.m3u8": (415, "not_media"),
}
# Valid media with nothing to say: 200 and the transcript status.
ACCEPTED_EMPTY = {
    "silence.wav": "no_speech",
    "silence_again.wav": "no_speech",
    "trailer_music.mp4": "no_speech",
    "talking_head_no_audio.mp4": "no_audio",
    "field_recorder_32ch.wav": "no_speech",
    "flac_bomb_8ch_384khz.flac": "no_speech",
    **dict.fromkeys(CONTROL_NAMES, "no_speech"),
    LONG_NAME: "no_speech",
}
# Awkward but valid speech: 200 and a transcript.
ACCEPTED_SPEECH = {
    "streamed_sizes.wav": "ok",
    "streamed_unknown_length.flac": "ok",
    "64_audio_streams.mkv": "ok",
    "mulaw_8bit.wav": "ok",
}
# Corpus files that cannot be uploaded as such.
NOT_UPLOADABLE = {"linked_secret.wav": "a symbolic link is a file-system thing; an upload carries bytes"}


def service_outcome(name: str) -> str:
    """The expected answer in words, as the corpus table states it."""
    if name in REJECTED:
        return "{} {}".format(*REJECTED[name])
    if name in NOT_UPLOADABLE:
        return "n/a"
    return f"200 {ACCEPTED_EMPTY.get(name) or ACCEPTED_SPEECH[name]}"
