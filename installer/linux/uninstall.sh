#!/usr/bin/env bash
# Remove what install.sh installed for the current user, exactly: the files, links and folders listed in
# $XDG_DATA_HOME/torchdesk/install-manifest (XDG_DATA_HOME defaults to ~/.local/share), nothing else.
#
#   ./uninstall.sh [--quiet]
#
# A link is removed only while it still points into the installed app; a folder only once it is empty (one
# you put files in stays, with them). Your environments, logs and settings are not part of the install and stay.
set -euo pipefail

quiet=0
case "${1:-}" in
  --quiet) quiet=1 ;;
  "") ;;
  -h | --help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
  *) echo "uninstall.sh: unknown argument $1" >&2; exit 2 ;;
esac
[ -n "${HOME:-}" ] || { echo "uninstall.sh: HOME is not set" >&2; exit 1; }

data="${XDG_DATA_HOME:-$HOME/.local/share}"
base="$data/torchdesk"
app="$base/app"
manifest="$base/install-manifest"
if [ ! -f "$manifest" ]; then
  echo "uninstall.sh: no TorchDesk install found ($manifest is missing)" >&2
  exit 1
fi

# Read the whole manifest first: it is removed along the way.
kinds=() paths=()
while IFS=$'\t' read -r kind path; do
  [ -n "$path" ] || continue
  case "$path" in "$data" | "$data"/* | "$HOME"/.local | "$HOME"/.local/*) ;; *) echo "uninstall.sh: skipping $path: outside the install folders" >&2; continue ;; esac
  kinds+=("$kind") paths+=("$path")
done <"$manifest"

removed=0 kept=()
# Files and links first, in any order; then folders, children before parents (reverse of creation order).
for i in "${!paths[@]}"; do
  path="${paths[$i]}"
  case "${kinds[$i]}" in
    f)
      if [ -e "$path" ] || [ -L "$path" ]; then rm -f -- "$path" && removed=$((removed + 1)); fi ;;
    l)
      if [ -L "$path" ]; then
        case "$(readlink -- "$path")" in
          "$app"/*) rm -f -- "$path" && removed=$((removed + 1)) ;;
          *) kept+=("$path (now points elsewhere)") ;;
        esac
      fi ;;
  esac
done
rm -f -- "$manifest"
for ((i = ${#paths[@]} - 1; i >= 0; i--)); do
  [ "${kinds[$i]}" = d ] || continue
  path="${paths[$i]}"
  [ -d "$path" ] || continue
  if rmdir -- "$path" 2>/dev/null; then removed=$((removed + 1)); else kept+=("$path (not empty)"); fi
done

command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" 2>/dev/null || true

if [ "$quiet" = 0 ]; then
  echo "TorchDesk removed ($removed files, links and folders)"
fi
for k in "${kept[@]+"${kept[@]}"}"; do echo "  kept: $k" >&2; done
exit 0
