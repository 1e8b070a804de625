#!/usr/bin/env bash
# Install the TorchDesk bundle for the current user: no root, nothing outside the user's XDG folders.
#
#   ./install.sh [BUNDLE_DIR]
#
# BUNDLE_DIR is the one-folder bundle (the folder holding torchdesk-gui); by default the folder this script is
# in (the release archive ships it there), else dist/torchdesk of a source checkout. Installs:
#
#   $XDG_DATA_HOME/torchdesk/app/                      the bundle (XDG_DATA_HOME defaults to ~/.local/share)
#   $XDG_DATA_HOME/torchdesk/uninstall.sh              a copy of uninstall.sh
#   ~/.local/bin/torchdesk, torchdesk-gui              links to the bundle's executables (never over a file
#                                                     that is not ours: those are left and reported)
#   $XDG_DATA_HOME/applications/torchdesk.desktop      the app-menu entry
#   $XDG_DATA_HOME/icons/hicolor/{256x256,scalable}/apps/torchdesk.{png,svg}
#
# and records each file, link and folder it created in $XDG_DATA_HOME/torchdesk/install-manifest, which
# uninstall.sh reads to remove exactly those. Installing again first removes the previous install the same way.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
die() { echo "install.sh: $*" >&2; exit 1; }

if [ $# -gt 1 ] || [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
  [ $# -le 1 ] && exit 0 || exit 2
fi
if [ $# -eq 1 ]; then
  bundle="$1"
elif [ -x "$here/torchdesk-gui" ]; then
  bundle="$here"
else
  bundle="$here/../../dist/torchdesk"
fi
[ -x "$bundle/torchdesk-gui" ] || die "no TorchDesk bundle at $bundle (expected an executable torchdesk-gui there); build one with: python installer/build.py"
bundle="$(cd "$bundle" && pwd)"
[ -n "${HOME:-}" ] || die "HOME is not set"

data="${XDG_DATA_HOME:-$HOME/.local/share}"
bin="$HOME/.local/bin"
base="$data/torchdesk"
app="$base/app"
manifest="$base/install-manifest"
desktop_src="$here/torchdesk.desktop"
[ -f "$desktop_src" ] || desktop_src="$bundle/torchdesk.desktop"
[ -f "$desktop_src" ] || die "torchdesk.desktop not found next to install.sh or in the bundle"
icons="$bundle/_internal/desktop/resources/icons"
[ -d "$icons" ] || icons="$bundle/desktop/resources/icons"   # a bundle without PyInstaller's _internal/
case "$app" in "$bundle" | "$bundle"/*) die "the bundle is already the installed copy ($bundle); nothing to do" ;; esac

# An earlier install (an upgrade, or a repair): remove it by its own manifest first.
if [ -f "$manifest" ]; then
  echo "removing the previous install"
  bash "$here/uninstall.sh" --quiet || die "could not remove the previous install; see above"
fi
[ -e "$app" ] && die "$app exists but no manifest records it; move it away and run install.sh again"

tmp_manifest="$(mktemp)"
trap 'rm -f "$tmp_manifest"' EXIT
record() { printf '%s\t%s\n' "$1" "$2" >>"$tmp_manifest"; }

# mkdir -p, recording each folder it creates (outermost first), so uninstall can remove just those.
make_dir() {
  local d="$1" missing=()
  while [ ! -d "$d" ]; do missing=("$d" "${missing[@]}"); d="$(dirname "$d")"; done
  for d in "${missing[@]}"; do mkdir "$d"; record d "$d"; done
}

# 1. The bundle. Copy to a sibling first, then rename, so a failed copy leaves no half-installed app.
make_dir "$base"
staging="$base/.app-installing.$$"
rm -rf "$staging"
cp -a "$bundle" "$staging" || { rm -rf "$staging"; die "copying the bundle failed"; }
mv "$staging" "$app"
record d "$app"
# Every folder and file of the copy, parents before children (find's order), links as files.
while IFS=$'\t' read -r kind rel; do
  record "$kind" "$app/${rel#./}"
done < <(cd "$app" && find . -mindepth 1 \( -type d -printf 'd\t%p\n' \) -o -printf 'f\t%p\n')
cp "$here/uninstall.sh" "$base/uninstall.sh"
chmod +x "$base/uninstall.sh"
record f "$base/uninstall.sh"

# 2. Command-line links. ~/.local/bin is on PATH in most distributions' default profiles.
make_dir "$bin"
skipped=()
for exe in torchdesk torchdesk-gui; do
  link="$bin/$exe"
  if [ -e "$link" ] || [ -L "$link" ]; then
    skipped+=("$link")
    continue
  fi
  ln -s "$app/$exe" "$link"
  record l "$link"
done

# 3. The menu entry, with Exec/TryExec pointing at the installed executable by absolute path (the desktop
# session's PATH may not hold ~/.local/bin). Desktop Entry spec: an Exec argument is double-quoted with
# \ " ` $ backslash-escaped, then the string rule doubles every backslash; a literal % is written %%.
desktop_exec_arg() {
  local q="$1"
  q="${q//\\/\\\\}"; q="${q//\"/\\\"}"; q="${q//\`/\\\`}"; q="${q//\$/\\\$}"
  q="${q//\\/\\\\}"; q="${q//%/%%}"
  printf '"%s"' "$q"
}
make_dir "$data/applications"
entry="$data/applications/torchdesk.desktop"
while IFS= read -r line || [ -n "$line" ]; do
  case "$line" in
    Exec=*) printf 'Exec=%s\n' "$(desktop_exec_arg "$app/torchdesk-gui")" ;;
    TryExec=*) printf 'TryExec=%s\n' "${app//\\/\\\\}/torchdesk-gui" ;;
    *) printf '%s\n' "$line" ;;
  esac
done <"$desktop_src" >"$entry"
record f "$entry"

# 4. Icons in the hicolor theme, which every desktop searches.
for spec in "256x256:torchdesk-256.png:torchdesk.png" "scalable:torchdesk.svg:torchdesk.svg"; do
  IFS=: read -r size src dest <<<"$spec"
  [ -f "$icons/$src" ] || { echo "warning: icon $icons/$src missing; the menu shows a generic icon" >&2; continue; }
  make_dir "$data/icons/hicolor/$size/apps"
  cp "$icons/$src" "$data/icons/hicolor/$size/apps/$dest"
  record f "$data/icons/hicolor/$size/apps/$dest"
done

mv "$tmp_manifest" "$manifest"
trap - EXIT

# Menus pick new entries up by watching the folder; these refresh caches where the tools exist. They only
# touch the desktop's shared caches, which are not ours to record or remove.
command -v update-desktop-database >/dev/null 2>&1 && update-desktop-database -q "$data/applications" 2>/dev/null || true
touch "$data/icons/hicolor" 2>/dev/null || true

echo "TorchDesk installed in $app"
echo "  app menu: TorchDesk    command line: $bin/torchdesk"
for link in "${skipped[@]+"${skipped[@]}"}"; do
  echo "  note: $link already exists and is not TorchDesk's install; left as it is" >&2
done
case ":$PATH:" in *":$bin:"*) ;; *) echo "  note: $bin is not on your PATH; the app menu entry works regardless" ;; esac
echo "  to remove: $base/uninstall.sh"
