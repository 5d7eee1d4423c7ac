#!/usr/bin/env bash
# The GPU measurements that issue 6 asks for, on a machine with a CUDA GPU, CuPy and PyTorch:
#
#   bash benchmarks/gpu_report.sh PART OUT_DIR [MNIST_DIR]
#
# PART is one of
#   tests   the whole test suite: the real-GPU tests run instead of being skipped (in WORKERS processes,
#           default 8, where pytest-xdist is installed: a lent GPU machine's command may run 10 minutes)
#   train   python examples/mnist_tiny.py --device gpu, 20 epochs (accuracy and seconds per epoch)
#   bench   python benchmarks/bench_train.py --device gpu (tinynn on CuPy against PyTorch on CUDA)
#   all     the three in turn, the figures first (train, bench, tests)
# Each writes its full output to OUT_DIR (a log per part, the benchmark's JSON, the machine's
# description). MNIST_DIR defaults to $TINYNN_DATA, then ../shared/data/mnist. Nothing is
# installed: the scripts and tests find tinynn in this checkout.
set -u
part=${1:?usage: gpu_report.sh tests|train|bench|all OUT_DIR [MNIST_DIR]}
out=${2:?usage: gpu_report.sh tests|train|bench|all OUT_DIR [MNIST_DIR]}
data=${3:-${TINYNN_DATA:-../shared/data/mnist}}
case "$part" in tests|train|bench|all) ;; *) echo "gpu_report.sh: PART must be tests, train, bench or all, got '$part'" >&2; exit 2 ;; esac
cd "$(dirname "$0")/.." || exit 1
mkdir -p "$out"
export PYTHONUNBUFFERED=1 TINYNN_DATA="$data"
python=${PYTHON:-python3}

{
  nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv
  "$python" -c 'import sys, numpy, cupy; print(sys.version.split()[0], "numpy", numpy.__version__, "cupy", cupy.__version__)'
  "$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
} > "$out/machine.txt" 2>&1

status=0
if [ "$part" = train ] || [ "$part" = all ]; then
  "$python" examples/mnist_tiny.py --device gpu --data-dir "$data" --no-progress > "$out/train.txt" 2>&1 || status=1
  grep -E "Test set|Best test accuracy|error" "$out/train.txt"
fi
if [ "$part" = bench ] || [ "$part" = all ]; then
  "$python" benchmarks/bench_train.py --device gpu --rounds 10 --json "$out/bench_gpu.json" > "$out/bench.txt" 2>&1 || status=1
  cat "$out/bench.txt"
fi
if [ "$part" = tests ] || [ "$part" = all ]; then
  workers=()
  if "$python" -c 'import xdist' 2>/dev/null; then workers=(-n "${WORKERS:-8}"); fi
  "$python" -m pytest -q -rs -p no:cacheprovider "${workers[@]}" > "$out/tests.txt" 2>&1 || status=1
  tail -n 3 "$out/tests.txt"
fi
exit $status
