#!/usr/bin/env bash
# Regenerates docs/html-report.png, the README's screenshot of `--format html`: audits the
# multi-fleet fixture, writes the page, and photographs it in headless Chromium with networking disabled (the page
# needs none). Run from anywhere; needs Chromium (`apt-get install chromium`,
# or CHROMIUM=/path/to/browser) and either a built ghr-audit (GHR_AUDIT=/path/to/ghr-audit) or
# `swift build`.
set -euo pipefail
cd "$(dirname "$0")/.."

browser="${CHROMIUM:-}"
if [ -z "$browser" ]; then
  for name in chromium chromium-browser google-chrome google-chrome-stable; do
    if command -v "$name" >/dev/null 2>&1; then browser="$(command -v "$name")"; break; fi
  done
fi
[ -n "$browser" ] || { echo "readme-screenshot: no Chromium found; install it or set CHROMIUM" >&2; exit 2; }

tool="${GHR_AUDIT:-}"
if [ -z "$tool" ]; then
  swift build --product ghr-audit >&2
  tool="$(swift build --show-bin-path)/ghr-audit"
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The README's command (exit status 1: the fixture has findings at the default `--fail-on error`).
status=0
"$tool" check fixtures/multi-fleet-packer/repo --target 4.7.0 --format html --output "$work/report.html" || status=$?
[ "$status" -le 1 ] || { echo "readme-screenshot: ghr-audit failed with exit status $status" >&2; exit "$status"; }

shoot() { # PAGE URL-FRAGMENT WIDTH HEIGHT OUTPUT
  "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --user-data-dir="$work/profile" \
    --disable-background-networking --disable-component-update --disable-sync --disable-default-apps \
    --host-resolver-rules="MAP * ~NOTFOUND" --proxy-server="socks5://127.0.0.1:9" \
    --force-device-scale-factor=1 --window-size="$3,$4" --screenshot="$work/shot.png" "file://$1$2" 2>/dev/null
  mkdir -p docs
  mv "$work/shot.png" "$5"
  echo "wrote $5"
}
shoot "$work/report.html" "" 1100 1250 docs/html-report.png

