"""The one audio format every stage works in: 16 kHz mono float32 (what Whisper expects)."""

SAMPLE_RATE = 16_000
