"""The acoustic branch: prosodic and spectral descriptors of speech, and a small classifier over them."""
