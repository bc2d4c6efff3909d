#!/usr/bin/env bash
# One GPU session in one command: build the extensions, run the GPU tests, then every GPU
# benchmark, each step under its own time limit, in order of priority. Everything lands in
# $OUT (default ./gpu_out): log.txt (all output) and results.tgz (tables, JSON, junit XML),
# refreshed after every step so a run cut short still returns what it finished.
#
#   OUT=/some/dir bash bench/gpu_session.sh [--quick]
#
# Peers missing from the machine (PyWavelets, torch-dct, ptwt, pytorch_wavelets) can be put
# as wheels in .whl/; they are installed into /tmp/site first.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-$PWD/gpu_out}
R=$OUT/results
mkdir -p "$R"
log=$OUT/log.txt
PY=${PYTHON:-python3}
export PYTHONUNBUFFERED=1

step() {  # step SECONDS NAME COMMAND...: run COMMAND with a limit, output to the log and to $R/NAME.txt
    local limit=$1 name=$2
    shift 2
    echo "=== $(date -u +%T) $name (limit ${limit}s): $*" >>"$log"
    timeout -k 5 "$limit" "$@" 2>&1 | tee "$R/$name.txt" >>"$log"
    local rc=${PIPESTATUS[0]}
    echo "=== $(date -u +%T) $name rc=$rc" >>"$log"
    tar czf "$OUT/results.tgz" -C "$R" .
}

if ls .whl/*.whl >/dev/null 2>&1; then
    $PY -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl >>"$log" 2>&1
    export PYTHONPATH=/tmp/site
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}

{
    date -u
    nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm,clocks.max.mem --format=csv
    nvcc --version | tail -2
    $PY -c "import sys, torch, triton; print('python', sys.version.split()[0], 'torch', torch.__version__, 'cuda', torch.version.cuda, 'triton', triton.__version__)"
    $PY -m pip list 2>/dev/null | grep -iE "^(numpy|scipy|pywavelets|ptwt|torch-dct|pytorch.wavelets|cupy|transformers|safetensors|pytest) "
} >"$R/environment.txt" 2>&1
cat "$R/environment.txt" >>"$log"

quick=0
[ "${1:-}" = "--quick" ] && quick=1

step 150 build env FRONT_KERNELS_CUDA_ARCHS=90 $PY setup.py build_ext --inplace -j "$(nproc)"
step 20 import $PY -c "import front_kernels._cuda as c, front_kernels._cpu as p; print('extensions:', c.__file__, p.__file__)"
par=""
$PY -c "import xdist" 2>/dev/null && par="-n 8"
step 170 gpu_tests $PY -m pytest tests -m gpu -q -p no:cacheprovider $par --durations=15 --junitxml="$R/gpu_tests.xml"
sizes="1024 4096 8192"
[ $quick = 1 ] && sizes="1024"
step 130 bench_gpu_triton $PY bench/bench_gpu_triton.py --sizes $sizes --repeat 10 --out "$R"
step 60 bench_gpu_cuda $PY bench/bench_gpu_cuda.py --repeat 10 --out "$R"
step 100 bench_transfer $PY bench/bench_transfer.py --device cuda --rounds 2 --scratch /tmp --out "$R/transfer_cuda.md"
step 40 bench_regularizer $PY bench/bench_regularizer.py --device cuda
step 40 bench_regularizer_train_step $PY bench/bench_regularizer.py --train-step --device cuda --batch 256
step 45 bench_compat $PY bench/bench_compat.py --device cuda --sizes 256 1024 2048 --out "$R/compat_cuda.md"
echo "=== $(date -u +%T) done" >>"$log"
