#!/usr/bin/env bash
# Build the one-folder app with PyInstaller, then smoke-test it offscreen:
#   bash packaging/build.sh        (from the repository root; several minutes with torch)
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m pip install --quiet "pyinstaller>=6.0"
pyinstaller --noconfirm --log-level WARN --distpath build/dist --workpath build/work \
  packaging/lstmwriter.spec
bash packaging/smoke_test.sh build/dist/lstmwriter/lstmwriter
