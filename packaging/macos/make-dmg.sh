#!/usr/bin/env bash
# The macOS disk image: Chat-Rec.app beside a link to /Applications, compressed (UDZO), so a user
# opens it and drags the app across.
#
#   bash packaging/macos/make-dmg.sh dist/Chat-Rec.app dist/chat-rec-0.1.0-macos-arm64.dmg
#
# packaging/build.py runs it after PyInstaller; sign-and-notarize.sh runs it again on the signed app.
set -euo pipefail

die() {
  echo "make-dmg: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: make-dmg.sh <path/to/Chat-Rec.app> <path/to/output.dmg>"
app=${1%/}
dmg=$2
[[ $app == *.app ]] || die "$app is not an .app bundle (its name must end in .app)"
[[ -d $app ]] || die "$app does not exist: build the app first (python packaging/build.py)"
[[ -f $app/Contents/Info.plist ]] || die "$app has no Contents/Info.plist: it is not a complete app bundle"
[[ $dmg == *.dmg ]] || die "$dmg: the disk image's name must end in .dmg"
command -v hdiutil >/dev/null || die "hdiutil not found: disk images are made on macOS only"

name=$(basename "$app")
volume=${name%.app}
mkdir -p "$(dirname "$dmg")"
staging=$(mktemp -d "${TMPDIR:-/tmp}/chat-rec-dmg.XXXXXX")
trap 'rm -rf "$staging"' EXIT

# ditto keeps symlinks, extended attributes and code signatures as they are.
ditto "$app" "$staging/$name"
ln -s /Applications "$staging/Applications"

rm -f "$dmg"
# hdiutil now and then fails with "Resource busy" on CI machines (Spotlight or XProtect holding the
# new volume): try again a few times before giving up.
for attempt in 1 2 3 4 5; do
  if hdiutil create -volname "$volume" -srcfolder "$staging" -fs HFS+ -format UDZO -imagekey zlib-level=9 \
      -ov "$dmg"; then
    break
  fi
  [[ $attempt -lt 5 ]] || die "hdiutil create failed 5 times for $dmg"
  echo "make-dmg: hdiutil create failed (attempt $attempt); trying again in $((attempt * 5)) s" >&2
  sleep $((attempt * 5))
done
hdiutil verify "$dmg" >/dev/null || die "hdiutil verify failed for $dmg"
echo "make-dmg: $dmg ($(du -h "$dmg" | cut -f1)): $name and a link to /Applications"
