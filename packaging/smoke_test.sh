#!/usr/bin/env bash
# Smoke test of a built app (PyInstaller folder or any `lstmwriter` executable):
# version, the bundled model generating text, and the window starting offscreen.
set -euo pipefail
app=${1:-build/dist/lstmwriter/lstmwriter}
tmp=$(mktemp -d)
export XDG_DATA_HOME=$tmp/data XDG_CONFIG_HOME=$tmp/config XDG_CACHE_HOME=$tmp/cache
export QT_QPA_PLATFORM=offscreen
"$app" --version
"$app" generate default --seed "It was a dark and stormy night" --length 60 --random-seed 1
# The window: start it, let it load the default model, then ask it to quit.
LSTMWRITER_QUIT_AFTER_MS=4000 timeout 60 "$app"
echo "smoke test passed: $app"
