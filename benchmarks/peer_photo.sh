#!/bin/bash
# peer_photo.sh [--hole H] [--border B] [--jobs tile,fill] OUT_DIR SIZE EXEMPLAR.png...
# GIMP Resynthesizer's make-tileable and heal on the very inputs of `bench.py --jobs tile,fill`, for
# `bench.py --peer-dir OUT_DIR`: writes the inputs with bench.py (OUT_DIR/<stem>_<SIZE>_input.png, the
# size x size crop, and <stem>_<SIZE>_mask.png, the centred hole of side H: a fraction of the side below
# 1, else pixels; default 0.25 as bench.py's), then per exemplar runs the peer's tile.sh (border fraction
# B, default 0.1) and fill.sh on them, one at a time, writing OUT_DIR/<stem>_<SIZE>_tile.png and
# _fill.png, and appends one line per call to OUT_DIR/times.tsv:
#   stem  size  job  rc  wall_s  cpu_s  engine_wall_s
# (the peer's bench.sh: wall and cpu of the whole call, GIMP start-up included; engine = its plug-in
# process alone). bench.py checks that the input and mask PNGs match its own run (same --hole).
#
# Resynthesizer is a measuring instrument, not part of GASS, and is not in this repository: it is built
# and run by the peer folder ../shared/peers/resynth beside this checkout (read its README.md and run its
# setup.sh once, as root). RESYNTH_DIR names another peer folder; PYTHON the interpreter (.venv/bin/python).
#
#   benchmarks/peer_photo.sh --hole 128 out/peer_photo 1024 tests/data/brick_gray.png
#   .venv/bin/python benchmarks/bench.py --jobs tile,fill --sizes 1024 --hole 128 \
#       --exemplars tests/data/brick_gray.png --peer-dir out/peer_photo --out out/photo
set -euo pipefail
here=$(dirname -- "$(readlink -f -- "$0")")
peer=${RESYNTH_DIR:-$here/../../shared/peers/resynth}
python=${PYTHON:-$here/../.venv/bin/python}
die() { echo "peer_photo.sh: $*" >&2; exit 2; }

hole=0.25 border=0.1 jobs=tile,fill
while [ $# -gt 0 ]; do
  case $1 in
    --hole) hole=${2:?}; shift 2 ;;
    --border) border=${2:?}; shift 2 ;;
    --jobs) jobs=${2:?}; shift 2 ;;
    --) shift; break ;;
    -*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[ $# -ge 3 ] || die "usage: peer_photo.sh [--hole H] [--border B] [--jobs tile,fill] OUT_DIR SIZE EXEMPLAR.png..."
out=$1 size=$2; shift 2
[[ $size =~ ^[0-9]+$ ]] && [ "$size" -gt 0 ] || die "SIZE is '$size'; expected a whole number of pixels"
for job in ${jobs//,/ }; do
  [ "$job" = tile ] || [ "$job" = fill ] || die "--jobs: tile and/or fill, not '$job'"
done
for script in tile.sh fill.sh bench.sh; do
  [ -x "$peer/$script" ] || die "no Resynthesizer peer at $peer (expected $script there; set RESYNTH_DIR)"
done
mkdir -p -- "$out"
"$python" "$here/bench.py" --write-inputs "$out" --sizes "$size" --hole "$hole" --exemplars "$@" >/dev/null

failed=0
for exemplar in "$@"; do
  stem=$(basename -- "${exemplar%.*}")
  in=$out/${stem}_${size}_input.png
  for job in ${jobs//,/ }; do
    label=$(printf '%s\t%s\t%s' "$stem" "$size" "$job")
    if [ "$job" = tile ]; then
      cmd=("$peer/tile.sh" "$in" "$out/${stem}_${size}_tile.png" "$border")
    else
      cmd=("$peer/fill.sh" "$in" "$out/${stem}_${size}_mask.png" "$out/${stem}_${size}_fill.png")
    fi
    if ! "$peer/bench.sh" "$out/times.tsv" "$label" "${cmd[@]}"; then
      echo "peer_photo.sh: Resynthesizer's $job failed on $exemplar" >&2
      failed=1
    fi
  done
done
exit "$failed"
