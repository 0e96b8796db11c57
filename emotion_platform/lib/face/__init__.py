"""Facial-expression evidence from sampled video frames.

* :mod:`.frames` reads the frames the media stage sampled (``index.json`` + JPEGs) and picks those of a time span.
* :mod:`.detect` finds faces with OpenCV's shipped Haar cascade (largest faces first, a minimum size,
  a second look at tilted heads).
* :mod:`.expression` classifies 48x48 grey face crops with the expression network shipped in the
  ``PyEmotion`` wheel, mapped onto the platform's label set.
* :mod:`.analysis` runs both over frames and summarises a time span (mean distribution + evidence).
* :mod:`.branch` is the face branch as an emotion bundle records it (which model, its hash, its fusion weight).
"""
