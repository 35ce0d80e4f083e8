#!/usr/bin/env bash
# Renders the HTML report of fixtures/dispenser/jjg443-station.csv with headless Chromium and
# writes docs/report-screenshot.png — a visual check of `verimeter report` (charts, band,
# failing first) and the screenshot shown in the README.
#
# Not part of .ci/run: CI has no Chromium by default. Installs the Debian package `chromium`
# with apt-get when it is missing (needs root or sudo).
#
# Usage: scripts/render-report.sh [OUT.png]     (default docs/report-screenshot.png)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
png="${1:-docs/report-screenshot.png}"
fixture="fixtures/dispenser/jjg443-station.csv"

# Debian packages: the browser, and a CJK font (the profiles' titles are bilingual).
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if command -v fc-list >/dev/null 2>&1 && [ -z "$(fc-list :lang=zh)" ]; then
  missing+=(fonts-wqy-microhei)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  echo "render-report: installing ${missing[*]} with apt-get" >&2
  sudo_cmd=""
  if [ "$(id -u)" -ne 0 ]; then sudo_cmd="sudo"; fi
  $sudo_cmd apt-get update -q
  $sudo_cmd env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}"
fi

cargo build --release -q -p verimeter-cli
bin="$root/target/release/verimeter"

work="$(mktemp -d)"
profile_dir="$(mktemp -d)"
trap 'rm -rf "$work" "$profile_dir"' EXIT

# Exit status 1 is expected: the station has failing and incomplete nozzles.
set +e
"$bin" report "$fixture" --out "$work" --date "2026-05-12" \
  --title "Station report — jjg443-station.csv (example)"
status=$?
set -e
if [ "$status" -gt 1 ]; then
  echo "render-report: verimeter report failed with exit status $status" >&2
  exit "$status"
fi
test -s "$work/index.html"

mkdir -p "$(dirname "$png")"
shot() { # WIDTH,HEIGHT
  rm -f "$png"
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --run-all-compositor-stages-before-draw --virtual-time-budget=3000 \
    --user-data-dir="$profile_dir" --window-size="$1" \
    --screenshot="$root/$png" "file://$work/index.html" 2>"$work/chromium.log" || {
    cat "$work/chromium.log" >&2
    exit 1
  }
}
shot 1280,2000

# Keep the README copy under 300 KB: quantise with ImageMagick when it is really there,
# else take a shorter window.
limit=300000
if [ "$(stat -c %s "$png")" -gt "$limit" ]; then
  if convert -version 2>/dev/null | grep -q ImageMagick; then
    convert "$png" -strip -colors 160 "$png"
  fi
fi
for size in 1280,1800 1280,1600 1280,1400; do
  [ "$(stat -c %s "$png")" -le "$limit" ] && break
  shot "$size"
done

size=$(stat -c %s "$png")
if [ "$size" -lt 20000 ]; then
  echo "render-report: $png is only $size bytes: the page did not render" >&2
  exit 1
fi
# A blank page compresses to almost nothing; a report with charts does not.
if identify -version 2>/dev/null | grep -q ImageMagick; then
  colours=$(identify -format '%k' "$png")
  if [ "$colours" -lt 8 ]; then
    echo "render-report: $png has only $colours colours: the page did not render" >&2
    exit 1
  fi
fi
echo "render-report: wrote $png ($size bytes)"
