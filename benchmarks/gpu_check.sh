#!/bin/bash
# GPU check for issue 13, run once on the lent GPU machine (jax + torch with CUDA, no TensorFlow, no
# internet) from the repository root, with `.whl/` (keras, namex, optree wheels) and `.gpudata/` (IMDB and
# one CIFAR training batch) carried. Everything it measures lands in $OUT:
#   train_<backend>_<preset>.json   `python -m rnnviz train --preset P --json` (device, backend, train_seconds, metrics)
#   probe_<backend>.txt             the probe's exactness tests (pytest) under that backend
#   backends.txt / backends.json    benchmarks/backends.py: s/epoch per backend and the ratio to a torch cuDNN loop
#   log.txt                         every step's stderr tail, time and exit code
# Steps run cheapest first, each under `timeout`, all within BUDGET seconds (default 530).
# Local dry run on a CPU: BACKENDS=jax PRESETS=imdb-quick EXTRA="--epochs 1 --set train_size=400" \
#   SLOW_PRESETS= BENCH_PRESETS=imdb-quick OUT=/tmp/gpu_out bash benchmarks/gpu_check.sh
set -u
OUT=${OUT:-/tmp/gpu_check_out}
BUDGET=${BUDGET:-530}
BACKENDS=${BACKENDS-"jax torch"}
PRESETS=${PRESETS-"imdb-quick cifar-rows-bilstm"}
SLOW_PRESETS=${SLOW_PRESETS-"imdb-bilstm imdb-stacked-bilstm"}
BENCH_PRESETS=${BENCH_PRESETS-"imdb-quick,cifar-rows-bilstm,imdb-bilstm,imdb-stacked-bilstm"}
EXTRA=${EXTRA-}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1 RNNVIZ_HOME=/tmp/rnnviz_gpu_home RNNVIZ_OFFLINE=1 TF_CPP_MIN_LOG_LEVEL=2
end=$((SECONDS + BUDGET))
log() { echo "[$SECONDS s] $*" | tee -a "$OUT/log.txt"; }

# step NAME CAP_SECONDS OUTFILE command...: runs with a timeout of min(CAP, time left), logs rc and time
step() {
  local name=$1 cap=$2 out=$3; shift 3
  local left=$((end - SECONDS - 5))
  if [ "$left" -lt 20 ]; then log "SKIP $name (out of time)"; return; fi
  local t=$(( cap < left ? cap : left )) t0=$SECONDS
  timeout -k 5 "$t" "$@" > "$out" 2> "$OUT/err_$name.txt"
  local rc=$?
  log "$name rc=$rc $((SECONDS - t0)) s (limit $t s)"
  tail -n 3 "$OUT/err_$name.txt" | sed 's/^/    /' | tee -a "$OUT/log.txt"
}

if ls .whl/*.whl > /dev/null 2>&1; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl \
    && export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
  log "wheels installed: $(ls .whl | tr '\n' ' ')"
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | tee -a "$OUT/log.txt"
for b in $BACKENDS; do
  KERAS_BACKEND=$b python3 -c "from rnnviz import backend; backend.check(); print(backend.describe())" \
    2>&1 | tail -n 1 | sed "s/^/$b: /" | tee -a "$OUT/log.txt"
done
# the CLI's training path must not import TensorFlow, Streamlit or plotly
KERAS_BACKEND=${BACKENDS%% *} python3 -c "
import sys; from rnnviz import cli, probe, backend; from rnnviz.training import fit, jobs; backend.describe()
bad = [m for m in ('tensorflow', 'streamlit', 'plotly') if m in sys.modules]; print('imports on the CLI path:', bad or 'none of tensorflow/streamlit/plotly')" \
  2>&1 | tail -n 1 | tee -a "$OUT/log.txt"

train_preset() {  # preset backend cap
  step "train_$2_$1" "$3" "$OUT/train_$2_$1.json" \
    env KERAS_BACKEND="$2" RNNVIZ_HOME="/tmp/rnnviz_gpu_home_$2" python3 -m rnnviz train --preset "$1" \
    --data-dir .gpudata --json $EXTRA  # a store per backend: the run id does not name the backend
}
for p in $PRESETS; do for b in $BACKENDS; do train_preset "$p" "$b" 120; done; done
for b in $BACKENDS; do  # exactness at full float32 (tests call rnnviz.backend.full_float32)
  step "probe_$b" 150 "$OUT/probe_$b.txt" env KERAS_BACKEND="$b" python3 -m pytest tests/test_probe.py tests/test_backend.py \
    -q -p no:cacheprovider -k "gates or keras or hidden_states or gradient"
  tail -n 2 "$OUT/probe_$b.txt" | tee -a "$OUT/log.txt"
done
step bench 150 "$OUT/backends.txt" python3 benchmarks/backends.py --backends "${BACKENDS// /,}" \
  --presets "$BENCH_PRESETS" --samples "${BENCH_SAMPLES:-2048}" --epochs 3 --timeout 70 --json "$OUT/backends.json"
cat "$OUT/backends.txt" | tee -a "$OUT/log.txt"
for p in $SLOW_PRESETS; do for b in torch jax; do
  case " $BACKENDS " in *" $b "*) train_preset "$p" "$b" 150 ;; esac
done; done
python3 - "$OUT" <<'EOF' | tee -a "$OUT/log.txt"
import json, pathlib, sys
for f in sorted(pathlib.Path(sys.argv[1]).glob("train_*.json")):
    try:
        r = json.loads(f.read_text().strip().splitlines()[-1])
    except (ValueError, IndexError):
        print(f"{f.name}: no result"); continue
    m = r["metrics"]
    acc = m.get("test_accuracy", m.get("val_accuracy"))
    print(f"{f.stem[6:]:32} {r['train_seconds']:7.1f} s  test acc {acc if acc is None else round(acc, 4)}  {r['backend']}")
EOF
log "done"
