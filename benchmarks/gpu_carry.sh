#!/usr/bin/env bash
# What benchmarks/gpu_grow.sh needs on the GPU machine, which has torch but not
# platformdirs, nor ../shared: writes .devcarry/ (git-ignored; carry it with
# run(..., carry=[".devcarry"])): a platformdirs wheel and grow.tar.xz, the bundled
# models' training text (benchmarks/default_corpus.py --out and --words).
set -eu
cd "$(dirname "$0")/.."
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 benchmarks/default_corpus.py --out "$WORK/defrun2" > /dev/null
python3 benchmarks/default_corpus.py --words "$WORK/wc" > /dev/null
rm -rf .devcarry && mkdir .devcarry
python3 -m pip download -q --no-deps --only-binary :all: -d .devcarry platformdirs
tar cJf .devcarry/grow.tar.xz -C "$WORK" defrun2/train defrun2/heldout_unwrapped.txt \
    wc/train wc/valid.txt
ls -la .devcarry
