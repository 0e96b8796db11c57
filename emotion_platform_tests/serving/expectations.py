"""What the service answers for each file of the bad-input corpus (status, error code)."""

# Rejections: (HTTP status, error code). The symlink case has no meaning for an upload.
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
}
# Valid media with nothing to say: 200 and the transcript status.
ACCEPTED_EMPTY = {
    "silence.wav": "no_speech",
    "trailer_music.mp4": "no_speech",
    "talking_head_no_audio.mp4": "no_audio",
}
