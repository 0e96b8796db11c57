"""Group ``transcripts``: Whisper transcripts of each media partition."""
