"""The peer of the service in ``bench/serving.py``: the same text model behind what a user would write.

    PEER_MODEL_DIR=<bundle>/text .venv/bin/uvicorn peer_server:app --app-dir bench --workers 2 --port 8000
    curl -X POST localhost:8000/classify_text -H 'Content-Type: application/json' -d '{"utterances": ["Oh no."]}'

A FastAPI app with one ``POST /classify_text`` that loads the champion's text model (the
``text/`` folder of a bundle: a transformers sequence classifier, its tokenizer and
``emotion_model.json`` with the label order, input length and temperature) with transformers and
runs it per request under ``torch.no_grad()``, in float32, with no batching across requests.
uvicorn runs one worker per core, as the service does. The answer has the service's shape
(``text``, ``emotions``, ``top`` per utterance); there is no API key check and no rate limit.

``PEER_TORCH_THREADS`` sets each worker's torch threads (unset: torch's default, all cores in
every worker, as a user who does not think about it gets).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import torch
from fastapi import FastAPI
from pydantic import BaseModel
from transformers import AutoModelForSequenceClassification, AutoTokenizer

MODEL_DIR = Path(os.environ["PEER_MODEL_DIR"])
META = json.loads((MODEL_DIR / "emotion_model.json").read_text())
tokenizer = AutoTokenizer.from_pretrained(str(MODEL_DIR))
model = AutoModelForSequenceClassification.from_pretrained(str(MODEL_DIR)).eval()
if os.environ.get("PEER_TORCH_THREADS"):
    torch.set_num_threads(int(os.environ["PEER_TORCH_THREADS"]))

app = FastAPI()


class TextRequest(BaseModel):
    utterances: list[str]


@app.post("/classify_text")
def classify_text(request: TextRequest) -> list[dict]:
    texts = request.utterances
    # The model was trained on (utterance, previous utterance) pairs; a lone utterance has an empty one.
    pairs = [""] * len(texts) if META["use_context"] else None
    inputs = tokenizer(texts, pairs, truncation=True, max_length=META["max_length"], padding=True, return_tensors="pt")
    with torch.no_grad():
        probabilities = torch.softmax(model(**inputs).logits / META["temperature"], dim=-1)
    answers = []
    for text, row in zip(texts, probabilities.tolist(), strict=True):
        emotions = {label: round(p, 4) for label, p in zip(META["labels"], row, strict=True)}
        answers.append({"text": text, "emotions": emotions, "top": max(emotions, key=emotions.get)})
    return answers
