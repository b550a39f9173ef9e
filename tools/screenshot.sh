#!/usr/bin/env bash
# Refresh the README's screenshot of the demo map (headless Debian Chromium, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp -d)
assetmap demo --out "$out/gi.html" >/dev/null
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$out/profile" --window-size=1280,860 --virtual-time-budget=3000 \
  --screenshot=docs/greater-icknield.png "file://$out/gi.html" 2>/dev/null
rm -rf "$out"
echo "wrote docs/greater-icknield.png"
