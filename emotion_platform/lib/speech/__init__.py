"""The speech branch: a pretrained Whisper encoder's states pooled per segment, and a small trained head."""
