#!/usr/bin/env bash
# Fetch the independent programs that read our exports back (tests/integration/test_export_consumers.py)
# into a cache folder, from the package registries only and without root:
#   xmllint    Debian's libxml2-utils (+ libxml2), `apt-get download` + `dpkg -x`
#   troi       ListenBrainz's playlist engine from PyPI, in its own venv (it pins mutagen==1.46.0,
#              which must not downgrade the app's venv), for its JSPF reader
# Usage: .ci/fetch-consumers.sh [DEST]   (DEST defaults to .cache/consumers)
# Exit codes: 0 fetched (or already there), 75 a registry could not be reached, else a real failure.
set -euo pipefail
cd "$(dirname "$0")/.."

DEST=${1:-.cache/consumers}
TROI_VERSION=2026.9.1.0
DEBS="libxml2-utils libxml2"
STAMP_NAME=".fetched-troi-$TROI_VERSION"
STAMP="$DEST/$STAMP_NAME"
PYTHON=${PYTHON:-python3}
unreachable() { echo "fetch-consumers: $1" >&2; exit 75; }

[ -f "$STAMP" ] && exit 0
mkdir -p "$DEST"
DEST=$(cd "$DEST" && pwd)
STAMP="$DEST/$STAMP_NAME"
# One fetch at a time (make and a bare pytest may both start one); the second finds the stamp.
exec 9>"$DEST/.lock"
flock 9
[ -f "$STAMP" ] && exit 0

if [ ! -x "$DEST/root/usr/bin/xmllint" ]; then
  rm -rf "$DEST/debs" && mkdir -p "$DEST/debs"
  # A machine without package lists needs one `apt-get update` (root); as a user, try without.
  ( cd "$DEST/debs" && { apt-get download $DEBS 2>/dev/null \
      || { [ "$(id -u)" = 0 ] && apt-get update -qq && apt-get download $DEBS; }; } ) \
    || unreachable "could not download $DEBS from the Debian archive"
  for deb in "$DEST"/debs/*.deb; do dpkg -x "$deb" "$DEST/root"; done
  rm -rf "$DEST/debs"
fi

if [ ! -x "$DEST/troi/bin/python" ] || ! "$DEST/troi/bin/python" -c 'import troi.playlist' 2>/dev/null; then
  rm -rf "$DEST/troi"
  "$PYTHON" -m venv "$DEST/troi"
  if ! "$DEST/troi/bin/python" -m pip install -q --disable-pip-version-check "troi==$TROI_VERSION"; then
    # Unreachable only when not even troi itself downloads; anything else is a real failure.
    "$DEST/troi/bin/python" -m pip download -q --no-deps -d "$DEST/probe" "troi==$TROI_VERSION" >/dev/null 2>&1 \
      || unreachable "could not download troi==$TROI_VERSION from PyPI"
    echo "fetch-consumers: installing troi==$TROI_VERSION failed (see above)" >&2
    exit 1
  fi
  "$DEST/troi/bin/python" -c 'import troi.playlist'
fi

touch "$STAMP"
