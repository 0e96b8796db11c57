import hashlib

import pytest

from emotion_platform.lib.media.ids import hash_prefix, media_id, safe_name


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("interview.WAV", "interview.wav"),
        ("Café Noir (take 2).mp3", "cafe_noir_take_2_.mp3"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\boot.ini", "boot.ini"),
        ("....", "media"),
        (".hidden.wav", "hidden.wav"),
        ("日本語.wav", "wav"),
        ("a b\tc\nd.ogg", "a_b_c_d.ogg"),
    ],
)
def test_safe_name_has_no_separators_or_dot_runs(name: str, expected: str) -> None:
    assert safe_name(name) == expected


def test_safe_name_keeps_extension_when_truncating() -> None:
    name = safe_name("x" * 200 + ".flac")
    assert name.endswith(".flac") and len(name) <= 48


def test_media_id_is_stable_and_content_addressed() -> None:
    digest = hashlib.sha256(b"same bytes").hexdigest()
    assert media_id(digest, "A.wav") == f"{digest[:12]}-a.wav"
    assert hash_prefix(media_id(digest, "other name.wav")) == digest[:12]


def test_media_id_rejects_non_digest() -> None:
    with pytest.raises(ValueError, match="not a hex SHA-256"):
        media_id("../../x", "a.wav")
