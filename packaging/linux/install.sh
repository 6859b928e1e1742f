#!/usr/bin/env bash
# Install Chat-Rec for the current user, without root, from the unpacked archive this script is in.
# Running it again upgrades: the new program is copied beside the old one and swapped in by renames,
# so there is never a half-copied program. What it writes is listed in chat-rec-app/installed-files,
# which uninstall.sh reads to remove exactly that.
# Started as `sh install.sh`? Then run again under bash, whose arrays these scripts use.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
shopt -s nullglob dotglob
umask 022

NAME=chat-rec
APP_ID=io.github.chatrec.ChatRec
PROG=install.sh

usage() {
  cat <<'EOF'
Usage: ./install.sh [--prefix DIR]

Installs Chat-Rec for you alone; no root needed. DATA below is $XDG_DATA_HOME, or ~/.local/share.
  the program     DATA/chat-rec-app/app/
  the launcher    ~/.local/bin/chat-rec
  the menu entry  DATA/applications/io.github.chatrec.ChatRec.desktop
  the icons       DATA/icons/hicolor/<size>/apps/chat-rec.png (and scalable/apps/chat-rec.svg)
  the app info    DATA/metainfo/io.github.chatrec.ChatRec.metainfo.xml
Run it again to upgrade: the new version replaces the old one in one step, and models you added
to the program's models/ folder are kept. Your library, settings and cache are never touched
(they live in ~/.local/share/chat-rec, ~/.config/chat-rec and ~/.cache/chat-rec).

Options:
  --prefix DIR  install under DIR instead: the program, menu entry, icons and app info under
                DIR/share, the launcher as DIR/bin/chat-rec
  -h, --help    show this help and exit

Uninstall with DATA/chat-rec-app/uninstall.sh.
EOF
}

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

warn() {
  echo "$PROG: note: $*" >&2
}

prefix=""
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --prefix)
      [ $# -ge 2 ] || { echo "$PROG: error: --prefix needs a folder" >&2; usage >&2; exit 2; }
      prefix=$2
      [ -n "$prefix" ] || { echo "$PROG: error: --prefix needs a folder, not an empty name" >&2; exit 2; }
      shift 2
      ;;
    --prefix=*)
      prefix=${1#--prefix=}
      [ -n "$prefix" ] || { echo "$PROG: error: --prefix needs a folder, not an empty name" >&2; exit 2; }
      shift
      ;;
    *)
      echo "$PROG: error: unknown option: $1" >&2
      usage >&2
      exit 2
      ;;
  esac
done

here=$(cd "$(dirname "$0")" && pwd -P) || die "cannot find the folder install.sh is in"

if [ -n "$prefix" ]; then
  case $prefix in /*) ;; *) prefix="$PWD/$prefix" ;; esac
  DATA="$prefix/share"
  BIN="$prefix/bin"
else
  [ -n "${HOME:-}" ] || die "HOME is not set; set it, or choose a folder with --prefix DIR"
  DATA="$HOME/.local/share"
  # the XDG spec says a relative XDG_DATA_HOME is to be ignored
  case ${XDG_DATA_HOME:-} in /*) DATA=$XDG_DATA_HOME ;; esac
  BIN="$HOME/.local/bin"
fi
tidy() {  # a folder name without doubled or trailing slashes
  local path=$1
  while [[ $path == *//* ]]; do path=${path//\/\//\/}; done
  [ "$path" = / ] || path=${path%/}
  printf '%s' "$path"
}
DATA=$(tidy "$DATA")
BIN=$(tidy "$BIN")
newline='
'
case "$here$DATA$BIN" in *"$newline"*) die "folder names with a line break are not supported" ;; esac

APPHOME="$DATA/chat-rec-app"
EXE="$APPHOME/app/$NAME"
MANIFEST_NAME="installed-files"

# --- check the package before touching anything -------------------------------------------------
[ -d "$here/app" ] || die "the program folder $here/app is missing: unpack the whole archive (chat-rec-<version>-linux-x86_64.tar.gz) and run install.sh from the folder it makes; nothing was installed"
if [ ! -f "$here/app/$NAME" ] || [ ! -x "$here/app/$NAME" ]; then
  die "the program $here/app/$NAME is missing or not executable: the archive is incomplete; nothing was installed"
fi
for needed in "share/applications/$APP_ID.desktop" "share/metainfo/$APP_ID.metainfo.xml" uninstall.sh; do
  [ -f "$here/$needed" ] || die "$here/$needed is missing: the archive is incomplete; nothing was installed"
done
grep -qE "^Exec=$NAME( |\$)" "$here/share/applications/$APP_ID.desktop" \
  || die "$here/share/applications/$APP_ID.desktop has no 'Exec=$NAME' line to point at the program; nothing was installed"
version=$(sed -n 's/.*<release [^>]*version="\([^"]*\)".*/\1/p' "$here/share/metainfo/$APP_ID.metainfo.xml" | head -n 1 || true)

# --- bookkeeping: every folder and file this script creates is written to the manifest ----------
created_dirs=()
ensure_dir() {  # ensure_dir DIR: create DIR and the missing folders above it, recording each
  local dir=$1 missing=()
  while [ -n "$dir" ] && [ ! -d "$dir" ]; do
    if [ -e "$dir" ] || [ -L "$dir" ]; then
      die "$dir is in the way: it should be a folder but is a file"
    fi
    missing=("$dir" "${missing[@]}")
    dir=${dir%/*}
  done
  [ ${#missing[@]} -gt 0 ] || return 0
  created_dirs+=("${missing[@]}")  # before mkdir: a failed install takes away what it did create
  mkdir -p "${missing[-1]}" || die "could not create the folder ${missing[-1]}"
  if [ -n "${manifest:-}" ]; then
    for dir in "${missing[@]}"; do
      record d "$dir"
    done
  fi
}
manifest=""
record() {
  printf '%s %s\n' "$1" "$2" >>"$manifest" || die "could not write the list of installed files $manifest"
}

# What the previous install (if any) recorded: its folders and caches stay ours, its shipped models
# are not the user's, and files it wrote that this version no longer has are removed at the end.
old_dirs=() old_caches=() old_files=() old_models=()
read_old_manifest() {
  local kind path
  [ -f "$APPHOME/$MANIFEST_NAME" ] || return 0
  while IFS=' ' read -r kind path; do
    case $kind in
      d) old_dirs+=("$path") ;;
      c) old_caches+=("$path") ;;
      f | l) old_files+=("$kind $path") ;;
      m) old_models+=("$path") ;;
    esac
  done <"$APPHOME/$MANIFEST_NAME"
}

staging="" retired=""
swapped=no
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  local status=$? index
  if [ -n "$staging" ] && [ -e "$staging" ]; then
    rm -rf "$staging"
  fi
  if [ -n "$retired" ] && [ -d "$retired" ]; then
    if [ ! -e "$APPHOME" ] && [ -d "$retired/chat-rec-app" ] && mv "$retired/chat-rec-app" "$APPHOME"; then
      echo "$PROG: the previous install was put back in $APPHOME" >&2
    fi
    if [ -e "$APPHOME" ] || [ ! -e "$retired/chat-rec-app" ]; then
      rm -rf "$retired"
    fi
  fi
  if [ "$status" -ne 0 ] && [ "$swapped" = no ]; then
    for ((index = ${#created_dirs[@]} - 1; index >= 0; index--)); do
      rmdir "${created_dirs[index]}" 2>/dev/null || true
    done
    echo "$PROG: nothing was installed" >&2
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ensure_dir "$DATA"

# An upgrade interrupted between its two renames leaves the old program in .chat-rec-app.old.*:
# put it back before anything else, then clear leftovers of interrupted runs.
if [ ! -e "$APPHOME" ]; then
  for leftover in "$DATA"/.chat-rec-app.old.*/chat-rec-app; do
    mv "$leftover" "$APPHOME" || die "could not put back the previous install from $leftover"
    echo "$PROG: put back the previous install from $leftover"
    break
  done
fi
for leftover in "$DATA"/.chat-rec-app.new.* "$DATA"/.chat-rec-app.old.*; do
  rm -rf "$leftover"
done
if [ -e "$APPHOME" ] || [ -L "$APPHOME" ]; then
  { [ -d "$APPHOME" ] && [ ! -L "$APPHOME" ]; } \
    || die "$APPHOME is in the way: it is not a folder install.sh made; move it away and run install.sh again"
fi
read_old_manifest

# --- the program: copied in full beside the old one ---------------------------------------------
staging=$(mktemp -d "$DATA/.chat-rec-app.new.XXXXXX") || die "could not create a folder in $DATA"
chmod 755 "$staging"
echo "Copying the program to $APPHOME ..."
cp -a "$here/app" "$staging/app" || die "could not copy the program into $staging (is the disk full?)"
cp "$here/uninstall.sh" "$staging/uninstall.sh" || die "could not copy uninstall.sh into $staging"
chmod 755 "$staging/uninstall.sh"
[ ! -f "$here/README.txt" ] || cp "$here/README.txt" "$staging/README.txt" || die "could not copy README.txt into $staging"

manifest="$staging/$MANIFEST_NAME"
{
  echo "# Chat-Rec ${version:-}: what install.sh put down, read by uninstall.sh"
  echo "# d = a folder it created, f = a file, l = the launcher link, c = a cache it created, m = a model shipped in app/models"
} >"$manifest" || die "could not write $manifest"
for shipped in "$staging/app/models"/*; do
  record m "${shipped##*/}"
done
for dir in "${old_dirs[@]}" "${created_dirs[@]}"; do
  [ ! -d "$dir" ] || record d "$dir"
done
for cache in "${old_caches[@]}"; do
  [ ! -e "$cache" ] || record c "$cache"
done

# Models the user dropped into the old program's models/ folder (the app looks there) move along;
# hard links when the file system allows, so nothing large is copied.
carried=()
if [ -d "$APPHOME/app/models" ]; then
  for entry in "$APPHOME/app/models"/*; do
    name=${entry##*/}
    if [ -e "$staging/app/models/$name" ] || [ -L "$staging/app/models/$name" ]; then
      continue  # the new version ships it
    fi
    for model in "${old_models[@]}"; do
      [ "$model" != "$name" ] || continue 2
    done
    mkdir -p "$staging/app/models" || die "could not create $staging/app/models"
    if ! cp -al "$entry" "$staging/app/models/$name" 2>/dev/null; then
      rm -rf "${staging:?}/app/models/$name"
      cp -a "$entry" "$staging/app/models/$name" || die "could not keep your model $entry in the new install"
    fi
    carried+=("$name")
  done
fi

# The swap: two renames in the same folder. Should the second fail, cleanup() puts the old one back.
if [ -d "$APPHOME" ]; then
  retired=$(mktemp -d "$DATA/.chat-rec-app.old.XXXXXX") || die "could not create a folder in $DATA"
  mv "$APPHOME" "$retired/chat-rec-app" || die "could not move the previous install $APPHOME aside"
fi
mv "$staging" "$APPHOME" || die "could not move the new program into place at $APPHOME"
staging=""
swapped=yes
manifest="$APPHOME/$MANIFEST_NAME"

# --- the menu entry, icons and app info: each written to a temporary name beside it, then renamed
put() {  # put SOURCE DEST: install one file
  local source=$1 dest=$2 folder=${2%/*} temp
  ensure_dir "$folder"
  [ ! -d "$dest" ] || die "$dest is in the way: it should be a file but is a folder"
  temp="$folder/.${dest##*/}.$$.tmp"
  cp "$source" "$temp" || die "could not write $temp (is the disk full?)"
  mv -f "$temp" "$dest" || die "could not write $dest"
  record f "$dest"
}

# An argument of a desktop file's Exec key: quoted as the Desktop Entry spec says when it has to be.
exec_arg() {
  local arg=$1
  case $arg in
    *[!A-Za-z0-9/._+,:@=-]*) ;;
    *) printf '%s' "$arg"; return 0 ;;
  esac
  arg=${arg//\\/\\\\}; arg=${arg//\"/\\\"}; arg=${arg//\`/\\\`}; arg=${arg//\$/\\\$}
  arg=${arg//\\/\\\\}  # the string escape, applied on top of the quoting
  arg=${arg//%/%%}
  printf '"%s"' "$arg"
}

rewritten="$APPHOME/.desktop.$$.tmp"
while IFS= read -r line || [ -n "$line" ]; do
  case $line in
    "Exec=$NAME" | "Exec=$NAME "*) printf 'Exec=%s%s\n' "$(exec_arg "$EXE")" "${line#"Exec=$NAME"}" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <"$here/share/applications/$APP_ID.desktop" >"$rewritten" || die "could not write $rewritten"

icons=()
while IFS= read -r relative; do
  relative=${relative#./}
  case $relative in
    "applications/$APP_ID.desktop") put "$rewritten" "$DATA/$relative" ;;
    icons/*) put "$here/share/$relative" "$DATA/$relative" && icons+=("$DATA/$relative") ;;
    *) put "$here/share/$relative" "$DATA/$relative" ;;
  esac
done < <(cd "$here/share" && find . -type f | LC_ALL=C sort)
rm -f "$rewritten"

# --- the launcher -------------------------------------------------------------------------------
launcher="$BIN/$NAME"
launcher_note=""
ours=yes
if [ -L "$launcher" ]; then
  case $(readlink "$launcher") in
    "$EXE" | */chat-rec-app/app/"$NAME") ;;
    *) ours=no ;;
  esac
elif [ -e "$launcher" ]; then
  ours=no
fi
if [ "$ours" = yes ]; then
  ensure_dir "$BIN"
  ln -s "$EXE" "$BIN/.$NAME.$$.tmp" || die "could not create the launcher link in $BIN"
  mv -f "$BIN/.$NAME.$$.tmp" "$launcher" || die "could not create the launcher $launcher"
  record l "$launcher"
else
  launcher_note="$launcher already exists and is not Chat-Rec's launcher, so it was left alone"
  warn "$launcher_note; start Chat-Rec from the menu or with $EXE"
fi

# --- caches: refreshed when the tools are there; never a reason to fail ---------------------
refresh_cache() {  # refresh_cache CACHE_FILE COMMAND...
  local cache=$1 existed=no
  shift
  command -v "$1" >/dev/null 2>&1 || return 0
  [ ! -e "$cache" ] || existed=yes
  if "$@" >/dev/null 2>&1; then
    if [ "$existed" = no ] && [ -e "$cache" ] && ! grep -qxF "c $cache" "$manifest"; then
      record c "$cache"
    fi
  else
    warn "$1 failed; the menu may show Chat-Rec after you log in again"
  fi
}
refresh_cache "$DATA/applications/mimeinfo.cache" update-desktop-database -q "$DATA/applications"
refresh_cache "$DATA/icons/hicolor/icon-theme.cache" gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor"

# --- what the previous version wrote and this one did not: removed ------------------------------
for entry in "${old_files[@]}"; do
  kind=${entry%% *} path=${entry#* }
  grep -qxF "$kind $path" "$manifest" && continue
  case $kind in
    f) [ ! -f "$path" ] || [ -L "$path" ] || rm -f "$path" ;;
    l) [ ! -L "$path" ] || rm -f "$path" ;;
  esac
done
[ -z "$retired" ] || rm -rf "$retired"
retired=""

# --- where everything went ----------------------------------------------------------------------
user_dir() {  # user_dir XDG_VALUE FALLBACK: the XDG folder when it is set to an absolute path, else FALLBACK
  case $1 in /*) printf '%s' "$1" ;; *) printf '%s' "$2" ;; esac
}
echo
echo "Chat-Rec ${version:-} is installed."
echo "  program:     $APPHOME/app"
[ "$ours" = no ] || echo "  launcher:    $launcher -> $EXE"
echo "  menu entry:  $DATA/applications/$APP_ID.desktop"
echo "  app info:    $DATA/metainfo/$APP_ID.metainfo.xml"
echo "  icons:       ${#icons[@]} in $DATA/icons/hicolor"
echo "  uninstall:   $APPHOME/uninstall.sh"
[ ${#carried[@]} -eq 0 ] || echo "  kept the models you added: ${carried[*]} (in $APPHOME/app/models)"
echo "Your library, settings and cache are not part of the install; the app keeps them in"
echo "  $(user_dir "${XDG_DATA_HOME:-}" "${HOME:-~}/.local/share")/$NAME, $(user_dir "${XDG_CONFIG_HOME:-}" "${HOME:-~}/.config")/$NAME and $(user_dir "${XDG_CACHE_HOME:-}" "${HOME:-~}/.cache")/$NAME"
echo
case ":${PATH:-}:" in
  *":$BIN:"*) echo "Start Chat-Rec from your application menu, or run: $NAME" ;;
  *)
    echo "Start Chat-Rec from your application menu, or run: $EXE"
    [ "$ours" = no ] || echo "($BIN is not on your PATH; add it there to start it as '$NAME')"
    ;;
esac
if [ -n "$prefix" ]; then
  case ":${XDG_DATA_DIRS:-/usr/local/share:/usr/share}:${XDG_DATA_HOME:-${HOME:-}/.local/share}:" in
    *":$DATA:"* | *":$DATA/:"*) ;;
    *) echo "(menus look for entries in XDG_DATA_HOME and XDG_DATA_DIRS: add $DATA to XDG_DATA_DIRS to see Chat-Rec there)" ;;
  esac
fi

# System libraries Qt and the microphone need, which the archive cannot bring: named when missing.
libraries_missing=()
if command -v ldd >/dev/null 2>&1; then
  for plugin in "$APPHOME"/app/*/PySide6/Qt/plugins/platforms/libqxcb.so "$APPHOME"/app/PySide6/Qt/plugins/platforms/libqxcb.so; do
    while read -r library _; do
      libraries_missing+=("$library")
    done < <(ldd "$plugin" 2>/dev/null | grep 'not found' || true)
  done
fi
ldconfig_cmd=$(command -v ldconfig || echo /sbin/ldconfig)
if [ -x "$ldconfig_cmd" ]; then
  known=$("$ldconfig_cmd" -p 2>/dev/null || true)
  for library in libxcb-cursor.so.0 libportaudio.so.2; do  # loaded at run time, so ldd cannot see them
    case $known in *"$library "*) ;; *) libraries_missing+=("$library") ;; esac
  done
fi
if [ ${#libraries_missing[@]} -gt 0 ]; then
  echo
  echo "Your system lacks libraries Chat-Rec needs: $(printf '%s\n' "${libraries_missing[@]}" | sort -u | tr '\n' ' ')"
  echo "See README.txt ('System libraries'); on Debian or Ubuntu:"
  echo "  sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-image0 libxcb-render-util0 libxcb-xkb1 libxkbcommon-x11-0 libportaudio2"
fi
exit 0
