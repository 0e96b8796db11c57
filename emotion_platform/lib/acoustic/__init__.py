"""Acoustic descriptors of speech (pitch, loudness, rate, spectral shape): drift columns and a baseline."""
