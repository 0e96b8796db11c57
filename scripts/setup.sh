#!/usr/bin/env bash
# Set up everything emotion_platform needs on a fresh Debian machine, idempotently:
#   system packages (ffmpeg, the LibriVox test clips, PostgreSQL), the virtual environment from the lock file,
#   the offline Whisper models (hash-checked, converted once) and the sample media.
# A second run finds everything in place and takes seconds; while .venv/.setup-done is newer than the lock
# files, pyproject.toml and this script (and the models and samples are there), it returns at once.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
VENV=.venv
STAMP="$VENV/.installed-$(cat requirements/lock.txt requirements/no-deps.in pyproject.toml | sha256sum | cut -c1-16)"
# Written at the end of a complete setup; holds the model cache folder and the samples folder that setup filled.
DONE="$VENV/.setup-done"
# What decides the environment, the models and the samples setup prepares.
INPUTS=(requirements/lock.txt requirements/no-deps.in pyproject.toml scripts/setup.sh
        emotion_platform/lib/samples.py emotion_platform/lib/whisper/models.py)
[ -f .env ] && INPUTS+=(.env)
export HF_HUB_OFFLINE=1 DVC_NO_ANALYTICS=1

log() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }

# 0. Nothing to do while the last complete setup is newer than its inputs and its models and samples are there.
setup_is_current() {
  [ -f "$DONE" ] || return 1
  [ -z "$(find "${INPUTS[@]}" -newer "$DONE" 2>/dev/null)" ] || return 1
  local cache samples
  { read -r cache && read -r samples; } <"$DONE" || return 1
  compgen -G "$cache/openai/tiny.en-*.pt" >/dev/null && [ -n "$(ls -A "$samples" 2>/dev/null)" ]
}
if setup_is_current; then
  exit 0
fi

# 1. System packages.
need_apt=()
command -v ffmpeg >/dev/null 2>&1 || need_apt+=(ffmpeg)
[ -f /usr/share/pocketsphinx/test/data/librivox/transcription ] || need_apt+=(pocketsphinx-testdata)
# PostgreSQL server binaries: the scale-profile test starts its own throw-away server on loopback.
compgen -G "/usr/lib/postgresql/*/bin/pg_ctl" >/dev/null || need_apt+=(postgresql)
# espeak-ng speaks dialogue lines for fitting and testing the words/voice fusion.
command -v espeak-ng >/dev/null 2>&1 || need_apt+=(espeak-ng)
# Debian's Chromium and its WebDriver: the web page's tests drive a real headless browser.
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
command -v chromedriver >/dev/null 2>&1 || need_apt+=(chromium-driver)
if [ ${#need_apt[@]} -gt 0 ]; then
  log "installing system packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

# 2. Virtual environment, from the lock file (torch stays the CPU wheel; triton is left out on CPU).
if [ ! -f "$STAMP" ]; then
  log "creating the virtual environment in $VENV"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "uv==0.13.9"
  UV_ARGS=(--python "$VENV/bin/python" --index-strategy unsafe-best-match)
  for link in $(pip config get global.find-links 2>/dev/null || true) /opt/wheels; do
    [ -d "$link" ] && UV_ARGS+=(--find-links "$link")
  done
  for index in $(pip config get global.extra-index-url 2>/dev/null || true); do
    UV_ARGS+=(--extra-index-url "$index")
  done
  "$VENV/bin/uv" pip install --quiet "${UV_ARGS[@]}" --no-deps -r requirements/lock.txt -r requirements/no-deps.in
  "$VENV/bin/uv" pip install --quiet "${UV_ARGS[@]}" --no-deps -e .
  rm -f "$VENV"/.installed-*
  touch "$STAMP"
else
  log "virtual environment up to date"
fi

# 3. Offline models and sample media (both cached; verified by hash).
log "preparing Whisper models"
"$VENV/bin/emotion-platform" prepare-models --model tiny.en
log "gathering sample media"
"$VENV/bin/emotion-platform" samples >/dev/null
"$VENV/bin/python" -c "from emotion_platform.settings import get_settings as s; print(s().cache_dir); print(s().data_dir / 'samples')" >"$DONE"
log "ready"
