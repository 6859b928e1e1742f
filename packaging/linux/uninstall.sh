#!/usr/bin/env bash
# Remove Chat-Rec as install.sh put it down: the program folder, the launcher, the menu entry, the icons
# and the app info, as listed in chat-rec-app/installed-files. The user's library, settings, cache and
# logs stay unless --purge-data is given.
# Started as `sh uninstall.sh`? Then run again under bash, whose arrays these scripts use.
if [ -z "${BASH_VERSION:-}" ]; then exec bash "$0" "$@"; fi
set -euo pipefail
shopt -s nullglob dotglob

NAME=chat-rec
APP_ID=io.github.chatrec.ChatRec
PROG=uninstall.sh
MANIFEST_NAME="installed-files"

usage() {
  cat <<'EOF'
Usage: uninstall.sh [--prefix DIR] [--purge-data]

Removes Chat-Rec: exactly what install.sh put down (the program, the launcher, the menu entry,
the icons and the app info). Your library, settings, cache and logs stay where the app keeps them
(~/.local/share/chat-rec, ~/.config/chat-rec, ~/.cache/chat-rec, ~/.local/state/chat-rec), and so
do models you added to the program's models/ folder.

Options:
  --prefix DIR  remove the install made with install.sh --prefix DIR
  --purge-data  also delete your library, settings, cache, logs and added models, without asking
  -h, --help    show this help and exit

Run from the installed copy (chat-rec-app/uninstall.sh) it removes that install.
EOF
}

die() {
  echo "$PROG: error: $*" >&2
  exit 1
}

prefix="" purge=no
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help)
      usage
      exit 0
      ;;
    --purge-data)
      purge=yes
      shift
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

[ -n "${HOME:-}" ] || die "HOME is not set; set it, or name the install with --prefix DIR"
here=$(cd "$(dirname "$0")" && pwd -P) || die "cannot find the folder uninstall.sh is in"

user_dir() {  # user_dir XDG_VALUE FALLBACK: the XDG folder when it is set to an absolute path, else FALLBACK
  case $1 in /*) printf '%s' "$1" ;; *) printf '%s' "$2" ;; esac
}

if [ -n "$prefix" ]; then
  case $prefix in /*) ;; *) prefix="$PWD/$prefix" ;; esac
  while [[ $prefix == *//* ]]; do prefix=${prefix//\/\//\/}; done
  [ "$prefix" = / ] || prefix=${prefix%/}
  DATA="$prefix/share"
  BIN="$prefix/bin"
  APPHOME="$DATA/chat-rec-app"
elif [ -f "$here/$MANIFEST_NAME" ] && [ -d "$here/app" ]; then
  # the copy install.sh left in the program's folder: it removes that install, wherever it is
  APPHOME=$here
  DATA=${here%/*}
  BIN="$HOME/.local/bin"
else
  DATA=$(user_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")
  BIN="$HOME/.local/bin"
  APPHOME="$DATA/chat-rec-app"
fi
manifest="$APPHOME/$MANIFEST_NAME"

# Where the app keeps the user's things: set by the app (the XDG folders), not by where it was installed.
user_data="$(user_dir "${XDG_DATA_HOME:-}" "$HOME/.local/share")/$NAME"
user_config="$(user_dir "${XDG_CONFIG_HOME:-}" "$HOME/.config")/$NAME"
user_cache="$(user_dir "${XDG_CACHE_HOME:-}" "$HOME/.cache")/$NAME"
user_state="$(user_dir "${XDG_STATE_HOME:-}" "$HOME/.local/state")/$NAME"

# --- what to remove: the manifest, or (when it is missing) the names install.sh always uses ------
files=() links=() dirs=() caches=() shipped=()
if [ -f "$manifest" ]; then
  while IFS=' ' read -r kind path; do
    case $kind in
      f) files+=("$path") ;;
      l) links+=("$path") ;;
      d) dirs+=("$path") ;;
      c) caches+=("$path") ;;
      m) shipped+=("$path") ;;
    esac
  done <"$manifest"
else
  for path in "$DATA/applications/$APP_ID.desktop" "$DATA/metainfo/$APP_ID.metainfo.xml" \
    "$DATA"/icons/hicolor/*/apps/"$NAME".png "$DATA"/icons/hicolor/*/apps/"$NAME".svg; do
    [ ! -e "$path" ] || files+=("$path")
  done
  links+=("$BIN/$NAME")
fi

installed=no
[ ! -d "$APPHOME" ] || installed=yes
for path in "${files[@]}"; do
  [ ! -f "$path" ] || installed=yes
done
if [ "$installed" = no ] && [ "$purge" = no ]; then
  die "Chat-Rec is not installed in $DATA (there is no $APPHOME); to remove an install made with --prefix DIR, pass the same --prefix DIR"
fi

removed=()
for path in "${files[@]}"; do
  # only the names install.sh writes: a damaged manifest cannot make this delete anything else
  case ${path##*/} in
    "$APP_ID.desktop" | "$APP_ID.metainfo.xml" | "$NAME.png" | "$NAME.svg") ;;
    *) echo "$PROG: note: left $path alone: not a file install.sh writes" >&2; continue ;;
  esac
  if [ -f "$path" ] && [ ! -L "$path" ]; then
    rm -f "$path" || die "could not remove $path"
    removed+=("$path")
  fi
done
for path in "${links[@]}"; do
  [ -L "$path" ] || continue
  case $(readlink "$path") in
    */chat-rec-app/app/"$NAME")
      rm -f "$path" || die "could not remove $path"
      removed+=("$path")
      ;;
    *) echo "$PROG: note: left $path alone: it does not point at Chat-Rec" >&2 ;;
  esac
done

# --- the program folder, keeping models the user added unless purging -------------------------
kept_models=()
if [ -d "$APPHOME" ]; then
  if [ "$purge" = no ] && [ -d "$APPHOME/app/models" ]; then
    for entry in "$APPHOME/app/models"/*; do
      name=${entry##*/}
      for model in "${shipped[@]}"; do
        [ "$model" != "$name" ] || continue 2
      done
      kept_models+=("$entry")
    done
  fi
  if [ ${#kept_models[@]} -eq 0 ]; then
    rm -rf "$APPHOME" || die "could not remove the program folder $APPHOME"
    removed+=("$APPHOME")
  else
    for entry in "$APPHOME"/*; do
      [ "$entry" = "$APPHOME/app" ] || rm -rf "$entry" || die "could not remove $entry"
    done
    for entry in "$APPHOME/app"/*; do
      [ "$entry" = "$APPHOME/app/models" ] || rm -rf "$entry" || die "could not remove $entry"
    done
    for model in "${shipped[@]}"; do
      rm -rf "${APPHOME:?}/app/models/$model"
    done
    removed+=("$APPHOME (all but the models you added)")
  fi
fi

# --- folders install.sh created, deepest first, when nothing else is in them; its caches ---------
remove_empty_dirs() {
  local dir
  for dir in "${dirs[@]}"; do
    printf '%s\n' "$dir"
  done | awk '{ print length($0) "\t" $0 }' | sort -rn | cut -f 2- | while IFS= read -r dir; do
    rmdir "$dir" 2>/dev/null || true
  done
}
remove_empty_dirs
# The caches are brought up to date for what is left; one install.sh created goes when nobody else needs
# it: an icon cache never is (GTK reads the icons without one), a MIME cache when it lists no file types.
if [ -d "$DATA/applications" ] && command -v update-desktop-database >/dev/null 2>&1; then
  update-desktop-database -q "$DATA/applications" >/dev/null 2>&1 || true
fi
if [ -d "$DATA/icons/hicolor" ] && command -v gtk-update-icon-cache >/dev/null 2>&1; then
  gtk-update-icon-cache -q -t -f "$DATA/icons/hicolor" >/dev/null 2>&1 || true
fi
for cache in "${caches[@]}"; do
  if [ ! -f "$cache" ] || [ -L "$cache" ]; then
    continue
  fi
  case ${cache##*/} in
    icon-theme.cache) ;;
    mimeinfo.cache) [ "$(cat "$cache")" = "[MIME Cache]" ] || continue ;;
    *) continue ;;
  esac
  rm -f "$cache"
  removed+=("$cache")
done
remove_empty_dirs

if [ ${#removed[@]} -gt 0 ]; then
  echo "Chat-Rec is uninstalled. Removed:"
  printf '  %s\n' "${removed[@]}"
else
  echo "Chat-Rec's program was not installed in $DATA; nothing to remove there."
fi
if [ ${#kept_models[@]} -gt 0 ]; then
  echo "Kept the models you added (delete them when you no longer need them, or use --purge-data):"
  printf '  %s\n' "${kept_models[@]}"
fi

# --- the user's data -----------------------------------------------------------------------------
chosen_data=""
if [ -f "$user_config/settings.toml" ]; then
  chosen_data=$(sed -n 's/^[[:space:]]*data_dir[[:space:]]*=[[:space:]]*"\(.*\)"[[:space:]]*$/\1/p' \
    "$user_config/settings.toml" | head -n 1 || true)
fi
labels=("library" "settings" "cache" "logs")
folders=("$user_data" "$user_config" "$user_cache" "$user_state")
if [ "$purge" = yes ]; then
  purged=()
  for index in 0 1 2 3; do
    folder=${folders[index]}
    if [ -e "$folder" ] || [ -L "$folder" ]; then
      rm -rf "$folder" || die "could not remove your ${labels[index]} folder $folder"
      purged+=("${labels[index]}: $folder")
    fi
  done
  if [ ${#purged[@]} -gt 0 ]; then
    echo "Removed your data (--purge-data):"
    printf '  %s\n' "${purged[@]}"
  else
    echo "Chat-Rec had no data to remove (--purge-data): none of $user_data, $user_config, $user_cache, $user_state exists."
  fi
  if [ -n "$chosen_data" ]; then
    echo "Not removed: the library folder chosen in Settings, $chosen_data; delete it yourself if you no longer want it."
  fi
else
  echo "Your data stays (uninstall.sh --purge-data deletes it):"
  for index in 0 1 2 3; do
    if [ -e "${folders[index]}" ]; then
      state=""
    else
      state=" (none yet)"
    fi
    printf '  %-9s %s%s\n' "${labels[index]}:" "${folders[index]}" "$state"
  done
  [ -z "$chosen_data" ] || printf '  %-9s %s\n' "library:" "$chosen_data (chosen in Settings)"
fi
if [ -n "${CHATREC_HOME:-}" ]; then
  echo "CHATREC_HOME is set: Chat-Rec also kept data under $CHATREC_HOME, which uninstall.sh leaves alone."
fi
exit 0
