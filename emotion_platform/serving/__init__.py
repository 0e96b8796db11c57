"""The Bento service that serves the approved (champion) emotion model over HTTP.

* :mod:`.service_settings`  serving settings (keys, limits, device, batching), from ``EMOTION_PLATFORM_SERVING_*``
* :mod:`.model`             loading the champion from MLflow or from the Bento's own model store
* :mod:`.media`             one uploaded file to transcript segments with emotions (no BentoML imports)
* :mod:`.text`              utterances to emotion distributions
* :mod:`.edge`              the ASGI middleware at the edge: API keys and request-size limits
* :mod:`.errors`            platform errors to HTTP statuses with a message naming the problem
* :mod:`.metrics`           the service's own Prometheus metrics
* :mod:`.service`           the BentoML service class ``EmotionClassifier``
* :mod:`.bento`             importing the champion into the BentoML store and building the Bento
"""
