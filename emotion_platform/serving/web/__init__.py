"""The web page of the service: upload media, follow its analysis, read the emotion timeline, correct it."""
