#!/usr/bin/env bash
# Issue #14 part 4 in one device call: everything that needs an NVIDIA GPU.
#
#   bash benchmarks/gpu_session.sh   # on the GPU machine, from the repository root
#
# Expects .devcarry/ (not in git): data.tar.xz holding shared/ (ptb, tinyshakespeare,
# bench/ref_char_lstm.py) and defrun2/ (the bundled model's training text and held-out
# slice, benchmarks/default_corpus.py), and a platformdirs wheel. Writes to $OUT.
#   1. quiet GPU: training throughput against the cuDNN reference, 256x2 to 1024x2;
#   2. side by side: ptb-medium (Zaremba's schedule, as many epochs as the time
#      allows), two continuations of the bundled model, and the app's training path
#      (worker thread) on CUDA with the model then used on the CPU.
# The bundled model is gpu-b512 of this run, resumed once more on the same machine
# (models/README.md has that command). Results: benchmarks/RESULTS.md, "On a GPU".
set -u
OUT=${OUT:-/tmp/gpu-out}
DEVICE=${DEVICE:-cuda}  # cpu: a dry run of this script
mkdir -p "$OUT"
START=$(date +%s)
DEADLINE=$((START + ${GPU_SECONDS:-480}))
exec > >(tee -a "$OUT/session.log") 2>&1
left() { echo $((DEADLINE - $(date +%s))); }

python3 -m pip install -q --no-index --no-deps --target /tmp/site .devcarry/*.whl || exit 1
export PYTHONPATH=$PWD:/tmp/site${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
tar xJf .devcarry/data.tar.xz -C .. || exit 1
export XDG_DATA_HOME=/tmp/xdg/data XDG_CACHE_HOME=/tmp/xdg/cache XDG_CONFIG_HOME=/tmp/xdg/config
nvidia-smi -L
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(),
'cudnn', torch.backends.cudnn.version())"

echo "== 1. throughput, quiet ($(left) s left)"
python3 benchmarks/train_throughput.py --device "$DEVICE" --sizes 256 512 1024 --seconds 4 \
    --repeats 2 --threads 2 --json | tee "$OUT/throughput.jsonl"

echo "== 2. side by side ($(left) s left)"
# Training time per run. In session 9 ptb-medium's wall time was 1.6x its training
# time (two validations an epoch), and it ended just after the deadline.
TRAIN=$(( $(left) - 110 )); [ "$TRAIN" -lt 60 ] && TRAIN=60
python3 benchmarks/ptb.py --preset ptb-medium --device "$DEVICE" --max-time "$TRAIN" \
    --log "$OUT/ptb.jsonl" --json > "$OUT/ptb_row.json" 2> /tmp/ptb.err &
JOBS=($!)
candidate() {  # name batch lr
    python3 -m lstmwriter train ../defrun2/train --name "$1" --init default \
        --valid ../defrun2/heldout_unwrapped.txt --preset char-medium --seq-length 128 \
        --batch-size "$2" --lr "$3" --schedule time --max-time "$((TRAIN - 40))" \
        --device "$DEVICE" --threads 2 --checkpoint-every 60 --json > "$OUT/$1.jsonl" 2>&1
}
mkdir -p /tmp/xdg
candidate gpu-b512 512 0.0025 &
JOBS+=($!)
candidate gpu-b256 256 0.0015 &
JOBS+=($!)
python3 benchmarks/cuda_app_path.py --seconds 30 --device "$DEVICE" --json > "$OUT/app_path.json" \
    2> /tmp/app.err || tail -5 /tmp/app.err
wait "${JOBS[@]}"  # a bare wait would also wait for the tee above, forever
tail -3 /tmp/ptb.err
for f in "$OUT"/gpu-*.jsonl; do echo "$f"; grep -v '"progress"' "$f" | tail -4; done
cd /tmp/xdg && tar czf "$OUT/candidates.tgz" data/lstmwriter/models/gpu-*/config.json \
    data/lstmwriter/models/gpu-*/model.pt
echo "== done ($(left) s left)"
