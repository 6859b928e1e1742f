#!/usr/bin/env bash
# Sign Chat-Rec.app with a Developer ID (hardened runtime, entitlements.plist), have Apple notarize it,
# staple the ticket, and make, sign, notarize and staple the disk image again around it.
#
#   bash packaging/macos/sign-and-notarize.sh dist/Chat-Rec.app dist/chat-rec-0.1.0-macos-arm64.dmg
#
# It reads everything secret from the environment (CI passes the repository's secrets):
#   MACOS_SIGN_IDENTITY          "Developer ID Application: Name (TEAMID)"
#   APPLE_ID, APPLE_TEAM_ID      the Apple account that notarizes, and its team
#   APPLE_APP_PASSWORD           an app-specific password of that account
#   MACOS_CERTIFICATE_P12_BASE64 the Developer ID certificate and key, a .p12 in base64, and
#   MACOS_CERTIFICATE_PASSWORD   its password: imported into a temporary keychain. Needed on CI; on a
#                                Mac whose keychain holds the identity they may be left out.
# When one of them is missing it prints "signing skipped: <the missing ones>" and exits 0, so builds
# without the secrets (pull requests, forks, a developer's Mac) still pass.
# On GitHub Actions it writes signed=true to $GITHUB_OUTPUT once the app is signed.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
  echo "sign-and-notarize: $*" >&2
  exit 1
}

[[ $# -eq 2 ]] || die "usage: sign-and-notarize.sh <path/to/Chat-Rec.app> <path/to/output.dmg>"
app=${1%/}
dmg=$2

needed=(MACOS_SIGN_IDENTITY APPLE_ID APPLE_TEAM_ID APPLE_APP_PASSWORD)
if [[ ${GITHUB_ACTIONS:-} == true || -n ${MACOS_CERTIFICATE_P12_BASE64:-} ]]; then
  needed+=(MACOS_CERTIFICATE_P12_BASE64 MACOS_CERTIFICATE_PASSWORD)
fi
missing=()
for name in "${needed[@]}"; do
  [[ -n ${!name:-} ]] || missing+=("$name")
done
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "signing skipped: ${missing[*]} not set"
  exit 0
fi

[[ $app == *.app && -d $app ]] || die "$app is not an app bundle: build it first (python packaging/build.py)"
[[ $dmg == *.dmg ]] || die "$dmg: the disk image's name must end in .dmg"
for tool in codesign xcrun ditto security plutil; do
  command -v "$tool" >/dev/null || die "$tool not found: signing needs macOS with the Xcode command line tools"
done

work=$(mktemp -d "${TMPDIR:-/tmp}/chat-rec-sign.XXXXXX")
keychain=""
cleanup() {
  if [[ -n $keychain ]]; then
    security delete-keychain "$keychain" >/dev/null 2>&1 || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

sign_args=(--force --timestamp --sign "$MACOS_SIGN_IDENTITY")
if [[ -n ${MACOS_CERTIFICATE_P12_BASE64:-} ]]; then
  # A keychain of its own, deleted on exit, searched first, unlocked for codesign without a prompt.
  keychain="$work/signing.keychain-db"
  keychain_password=$(openssl rand -base64 24)
  security create-keychain -p "$keychain_password" "$keychain"
  security set-keychain-settings -lut 3600 "$keychain"
  security unlock-keychain -p "$keychain_password" "$keychain"
  printf '%s' "$MACOS_CERTIFICATE_P12_BASE64" | base64 --decode >"$work/certificate.p12" \
    || die "MACOS_CERTIFICATE_P12_BASE64 is not valid base64"
  security import "$work/certificate.p12" -k "$keychain" -P "$MACOS_CERTIFICATE_PASSWORD" -T /usr/bin/codesign \
    || die "the certificate would not import: is MACOS_CERTIFICATE_PASSWORD its password?"
  rm -f "$work/certificate.p12"
  security set-key-partition-list -S apple-tool:,apple:,codesign: -s -k "$keychain_password" "$keychain" >/dev/null
  existing=()
  while IFS= read -r line; do
    line=${line#"${line%%[![:space:]]*}"}
    existing+=("${line//\"/}")
  done < <(security list-keychains -d user)
  security list-keychains -d user -s "$keychain" "${existing[@]}"
  sign_args+=(--keychain "$keychain")
fi

# A string field of notarytool's one-line JSON answer.
json_field() {
  plutil -extract "$1" raw -o - "$2" 2>/dev/null || sed -n "s/.*\"$1\" *: *\"\([^\"]*\)\".*/\1/p" "$2"
}

# Submit a file, wait for Apple's verdict, print its log when it is not "Accepted".
notarize() {
  local file=$1 result="$work/notarize.json" status id
  echo "sign-and-notarize: notarizing $(basename "$file") (this takes a few minutes)"
  if ! xcrun notarytool submit "$file" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
      --password "$APPLE_APP_PASSWORD" --wait --timeout 1h --output-format json >"$result"; then
    cat "$result" >&2
    die "notarytool submit failed for $file"
  fi
  status=$(json_field status "$result")
  if [[ $status != Accepted ]]; then
    id=$(json_field id "$result" || true)
    if [[ -n $id ]]; then
      xcrun notarytool log "$id" --apple-id "$APPLE_ID" --team-id "$APPLE_TEAM_ID" \
        --password "$APPLE_APP_PASSWORD" >&2 || true
    fi
    die "notarization of $file ended $status"
  fi
}

echo "sign-and-notarize: signing $app"
codesign --deep "${sign_args[@]}" --options runtime --entitlements "$here/entitlements.plist" "$app"
codesign --verify --deep --strict --verbose=2 "$app"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "signed=true" >>"$GITHUB_OUTPUT"
fi

ditto -c -k --keepParent "$app" "$work/app.zip"
notarize "$work/app.zip"
xcrun stapler staple "$app"
spctl --assess --type execute --verbose=2 "$app"

bash "$here/make-dmg.sh" "$app" "$dmg"
codesign "${sign_args[@]}" "$dmg"
notarize "$dmg"
xcrun stapler staple "$dmg"
spctl --assess --type open --context context:primary-signature --verbose=2 "$dmg"
echo "sign-and-notarize: $app and $dmg are signed, notarized and stapled"
