"""Media handling: identifying, probing, validating and decoding audio/video files with ffmpeg."""
