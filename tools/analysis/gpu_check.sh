#!/usr/bin/env bash
# Every pending GPU measurement of docs/speed.md in one run (< 8 min on
# one H200), written as a markdown table to $OUT/gpu_check.md (or
# work_dirs/gpu_check/gpu_check.md), each step's log next to it.
#
#   tools/analysis/gpu_check.sh              # on a GPU machine
#   tools/analysis/gpu_check.sh --cpu-smoke  # every step once, tiny, on CPU
#
# Steps: model steps of plain MoCo v2, SPT and distilled MoCo v2 (ResNet-50,
# 224 px, batch 64; fp32 and AMP); the dataloader at 8 and 16 workers, old
# pipeline vs the _gpuaug CPU part, and the SSLViewAugPreprocessor per batch
# on the GPU (synthetic frames made here, no downloads); tools/dist_train.sh
# with 1 GPU (NCCL) for a few iterations; tools/extract_features.py --amp.
# Each step is time-boxed with `timeout`; a failure is recorded in the table
# and the next step runs.
set -u
cd "$(dirname "$0")/../.."
PYTHON=${PYTHON:-python}
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}
SMOKE=0
[ "${1:-}" = "--cpu-smoke" ] && SMOKE=1
DEST=${OUT:-work_dirs/gpu_check}
mkdir -p "$DEST"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gpu_check.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ROWS="$WORK/rows.md"
: > "$ROWS"

if [ $SMOKE = 1 ]; then
    DEVICE=cpu; STEP_ARGS="--image-size 32 --batch-size 2 --warmup 0 --iters 1"
    AMP_ARGS=""; WORKERS="0 1"; DATA_ARGS="--data-batches 1 --warmup 0"
    PIPE_ARGS="--pipeline-frames 4 --pipeline-rounds 1"; NVIDEOS=1
    SECONDS_RANGE="60 60"; EXTRACT_AMP=""; T_STEP=600; TRAIN_BS=2
else
    DEVICE=cuda; STEP_ARGS="--image-size 224 --batch-size 64 --warmup 5 --iters 20"
    AMP_ARGS="--amp"; WORKERS="8 16"; DATA_ARGS="--data-batches 40 --warmup 5"
    PIPE_ARGS="--pipeline-frames 64 --pipeline-rounds 5"; NVIDEOS=4
    SECONDS_RANGE="120 180"; EXTRACT_AMP="--amp"; T_STEP=100; TRAIN_BS=32
fi

# step NAME SECONDS COMMAND...: run COMMAND with a time limit, keep its log,
# add a table row with the status and the log's last markdown table lines.
step() {
    local name=$1 limit=$2
    shift 2
    local log="$DEST/$name.log" start end rc status
    start=$(date +%s)
    timeout "$limit" "$@" > "$log" 2>&1
    rc=$?
    end=$(date +%s)
    case $rc in
        0) status=ok ;;
        124|137) status="timed out after ${limit}s" ;;
        *) status="failed (exit $rc)" ;;
    esac
    local result
    result=$(grep '^| ' "$log" | grep -v '^| config\|^| data pipeline\|^| CPU pipeline' \
        | sed 's/^| //; s/ |$//; s/ | /: /' | tr '\n' ';' | sed 's/|/\//g')
    [ -z "$result" ] && result=$(tail -n 1 "$log" | cut -c1-160 | sed 's/|/\//g')
    echo "| $name | $status | $((end - start)) | $result |" >> "$ROWS"
}

RAW=$WORK/raw
ROOT=$WORK/data
step synthetic-data 120 sh -c "$PYTHON tools/data/generate_synthetic.py $RAW \
    --num-videos $NVIDEOS --seconds $SECONDS_RANGE && \
    $PYTHON tools/data/prepare_phase_dataset.py --dataset cholec80 $RAW $ROOT"
DATA_OPTS="train_dataloader.dataset.data_root=$ROOT train_dataloader.dataset.split_scheme=synthetic"

MODELS="configs/mocov2/mocov2_resnet50_4xb32-coslr-200e_cholec80.py \
configs/spt/spt_resnet50_in1k-sup_4xb32-coslr-200e_cholec80.py \
configs/dsl/dsl-mocov2_resnet50_4xb32-coslr-200e_cholec80.py"
step steps-resnet50-fp32 $T_STEP $PYTHON tools/analysis/train_speed.py \
    $MODELS --device $DEVICE $STEP_ARGS --random-teacher --no-memory
if [ -n "$AMP_ARGS" ]; then
    step steps-resnet50-amp $T_STEP $PYTHON tools/analysis/train_speed.py \
        $MODELS --device $DEVICE $STEP_ARGS $AMP_ARGS --random-teacher \
        --no-memory
else
    echo "| steps-resnet50-amp | skipped (AMP needs CUDA) | 0 | |" >> "$ROWS"
fi

LOADERS="configs/mocov2/mocov2_resnet50_4xb32-coslr-200e_cholec80.py \
configs/mocov2/mocov2_resnet50_4xb32-coslr-200e_cholec80_gpuaug.py"
step loader-workers 150 $PYTHON tools/analysis/train_speed.py $LOADERS \
    --skip-steps --data-workers $WORKERS $DATA_ARGS --batch-size 64 \
    --cfg-options $DATA_OPTS
step preprocessor 60 $PYTHON tools/analysis/train_speed.py $LOADERS \
    --skip-steps --device $DEVICE $PIPE_ARGS --batch-size 64

TRAIN_DIR=$WORK/dist_train
step dist-train-1gpu 90 env PYTHON="$PYTHON" PORT=$((29500 + RANDOM % 1000)) \
    tools/dist_train.sh \
    configs/mocov2/mocov2_resnet50_4xb32-coslr-200e_cholec80_gpuaug.py 1 \
    --work-dir "$TRAIN_DIR" --cfg-options $DATA_OPTS \
    train_dataloader.batch_size=$TRAIN_BS train_dataloader.num_workers=4 \
    model.queue_len=256 train_cfg.max_epochs=1 \
    param_scheduler.0.T_max=1 default_hooks.logger.interval=1

CKPT=$TRAIN_DIR/epoch_1.pth
step extract-features 60 $PYTHON tools/extract_features.py \
    configs/benchmarks/phase/linear_resnet50_1xb64-coslr-20e_cholec80.py \
    "$CKPT" --out-dir "$WORK/features" --device $DEVICE $EXTRACT_AMP \
    --cfg-options test_dataloader.dataset.data_root=$ROOT \
    test_dataloader.dataset.split_scheme=synthetic
step infer-speed 300 $PYTHON tools/analysis/infer_speed.py --device $DEVICE $([ $SMOKE = 1 ] && echo --size 64 --offline-frames 4 --online-frames 2 --growth-frames 120 --repeats 1 --batch-size 2 || echo --offline-frames 256 --batch-size 64)

{
    echo "# GPU check ($( [ $SMOKE = 1 ] && echo 'CPU smoke run, 1 iteration per step' || echo "$($PYTHON -c 'import torch; print(torch.cuda.get_device_name())' 2>/dev/null)"))"
    echo
    echo "Command: tools/analysis/gpu_check.sh $*; $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    echo "| step | status | s | result (rows of the step's tables) |"
    echo "|---|---|---:|---|"
    cat "$ROWS"
} > "$DEST/.gpu_check.md.partial"
mv "$DEST/.gpu_check.md.partial" "$DEST/gpu_check.md"
cat "$DEST/gpu_check.md"
