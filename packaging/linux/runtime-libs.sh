#!/usr/bin/env bash
# Install the Debian/Ubuntu libraries the app needs at run time when they are missing:
#   PortAudio (libportaudio2) for the microphone and speaker, and, when a display is there, the X11/Wayland
#   libraries Qt's platform plugins link against (the wheels bring Qt itself, not these).
# Usage: packaging/linux/runtime-libs.sh PYTHON   (the venv's python, to find the installed Qt)
# Never fatal: without apt-get or root/sudo it prints what to install and the app still runs (typing only,
# or the terminal session without a display).
set -uo pipefail
PYTHON=${1:-python3}
[ "$(uname -s)" = Linux ] || exit 0
command -v apt-get >/dev/null || exit 0

missing=()
ldconfig -p 2>/dev/null | grep -q 'libportaudio\.so\.2' || missing+=(libportaudio2)

if [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  plugins=$("$PYTHON" -c 'import PySide6, os; print(os.path.join(os.path.dirname(PySide6.__file__), "Qt", "plugins", "platforms"))')
  for plugin in "$plugins"/libqxcb.so "$plugins"/libqwayland*.so; do
    [ -f "$plugin" ] || continue
    # Debian names a library's package after its soname: libxcb-icccm.so.4 -> libxcb-icccm4,
    # libxkbcommon-x11.so.0 -> libxkbcommon-x11-0 (a dash when the name ends in a digit), lower case.
    for lib in $(ldd "$plugin" 2>/dev/null | awk '/not found/ {print $1}' | sort -u); do
      base=${lib%%.so.*}; version=${lib##*.so.}; version=${version%%.*}
      case $base in *[0-9]) package="$base-$version" ;; *) package="$base$version" ;; esac
      missing+=("${package,,}")
    done
  done
  # Qt 6.5+ needs xcb-cursor on X11, loaded at run time rather than linked, so ldd does not show it.
  ldconfig -p 2>/dev/null | grep -q 'libxcb-cursor\.so\.0' || missing+=(libxcb-cursor0)
fi

[ ${#missing[@]} -eq 0 ] && exit 0
packages=$(printf '%s\n' "${missing[@]}" | sort -u | tr '\n' ' ')
if [ "$(id -u)" = 0 ]; then SUDO=""; elif sudo -n true 2>/dev/null; then SUDO="sudo -n"; else SUDO=none; fi
if [ "$SUDO" = none ]; then
  echo "make: the app would like these Debian packages: $packages(run: sudo apt-get install $packages)" >&2
  exit 0
fi
echo "make: installing $packages"
$SUDO apt-get install -y -qq $packages >/dev/null 2>&1 \
  || { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq $packages >/dev/null; } \
  || echo "make: could not install $packages; voice or the window may be unavailable" >&2
exit 0
