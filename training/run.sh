#!/usr/bin/env bash
# Regenerates the synthetic data, retrains both plate models from scratch, tunes the recogniser and
# exports them to crates/recognize/models/. One command; see training/README.md (about 116 minutes
# on 2 CPU cores).
set -euo pipefail
cd "$(dirname "$0")/.."
PKGS="python3-torch python3-numpy python3-pil python3-opencv fonts-dejavu-core fonts-liberation fonts-freefont-ttf fonts-urw-base35 fonts-roboto-unhinted fonts-b612 fonts-open-sans fonts-lato fonts-cantarell fonts-comfortaa"
missing=""
for p in $PKGS; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
fi
# DIN-like plate fonts from the npm registry (versions pinned in package-lock.json).
(cd training && npm ci --silent --no-audit --no-fund)
# Debian's interpreter, which the python3-* packages above belong to.
exec /usr/bin/python3 training/train.py all "$@"
