#!/usr/bin/env bash
# The bundled word model (issue #13, session 10) in one device call: two word-level
# LSTMs on the words of the bundled model's training text, side by side on the GPU.
#
#   bash benchmarks/gpu_word_model.sh   # on the GPU machine, from the repository root
#
# Expects .devcarry/ (not in git): words.tar.xz holding wc/train/words.txt and
# wc/valid.txt (`python3 benchmarks/default_corpus.py --words DIR`: one paragraph
# a line, its \w+ words joined by spaces) and a platformdirs wheel. Each trained
# model comes back as float16 weights in two files under 16 MiB (the device's
# limit); benchmarks/word_model.py --join makes a model folder of them.
set -u
OUT=${OUT:-/tmp/gpu-out}
DEVICE=${DEVICE:-cuda}  # cpu: a dry run of this script
SECONDS_EACH=${SECONDS_EACH:-380}
mkdir -p "$OUT"
exec 2>&1  # at most 8 files come back: the parts and the two logs

python3 -m pip install -q --no-index --no-deps --target /tmp/site .devcarry/*.whl || exit 1
export PYTHONPATH=$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
mkdir -p /tmp/wc && tar xJf .devcarry/words.tar.xz -C /tmp || exit 1
export XDG_DATA_HOME=/tmp/xdg/data XDG_CACHE_HOME=/tmp/xdg/cache XDG_CONFIG_HOME=/tmp/xdg/config
nvidia-smi -L 2>/dev/null

word_model() {  # name dropout
    python3 -m lstmwriter train /tmp/wc/train --name "$1" --level word --pretokenized \
        --vocab-size 16000 --rnn-size 400 --num-layers 2 --embedding-size 400 \
        --tie-weights --dropout "$2" --seq-length 35 --batch-size 128 --optimizer adam \
        --lr 0.002 --schedule time --max-time "$SECONDS_EACH" --valid /tmp/wc/valid.txt \
        --checkpoint-every 600 --device "$DEVICE" --threads 2 --json > "$OUT/$1.jsonl" 2>&1
}
word_model words-d25 0.25 &
JOBS=($!)
word_model words-d40 0.4 &
JOBS+=($!)
wait "${JOBS[@]}"
for name in words-d25 words-d40; do
    grep -v '"progress"' "$OUT/$name.jsonl" | tail -3
    python3 benchmarks/word_model.py --split "/tmp/xdg/data/lstmwriter/models/$name" \
        --out "$OUT/$name"
done
ls -la "$OUT" "$OUT"/*
