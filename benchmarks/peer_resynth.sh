#!/bin/bash
# peer_resynth.sh OUT_DIR SIZE EXEMPLAR.png...
# GIMP Resynthesizer's textures of the same exemplars, for `bench.py --peer-dir OUT_DIR`: writes
# OUT_DIR/<stem>_<SIZE>.png (SIZE x SIZE, tileable) per exemplar and appends one line
# "<stem>\t<SIZE>\t<wall seconds, GIMP start-up included>" to OUT_DIR/times.tsv.
#
# Resynthesizer is a measuring instrument, not part of GASS, and is not in this repository: it is
# built and run by the peer folder ../shared/peers/resynth beside this checkout (read its README.md
# and run its setup.sh once, as root). RESYNTH_DIR names another peer folder; RESYNTH_NEIGHBOURHOOD
# and RESYNTH_TRYS pass through to its synth.sh (default neighbourhood 30, the dialog's).
#
#   benchmarks/peer_resynth.sh out/peer 256 tests/data/brick_gray.png tests/data/bark.png
#   .venv/bin/python benchmarks/bench.py --sizes 256 --exemplars tests/data/brick_gray.png \
#       tests/data/bark.png --peer-dir out/peer --out out/bench
set -euo pipefail
here=$(dirname -- "$(readlink -f -- "$0")")
peer=${RESYNTH_DIR:-$here/../../shared/peers/resynth}
die() { echo "peer_resynth.sh: $*" >&2; exit 2; }

[ $# -ge 3 ] || die "usage: peer_resynth.sh OUT_DIR SIZE EXEMPLAR.png..."
out=$1 size=$2; shift 2
[[ $size =~ ^[0-9]+$ ]] && [ "$size" -gt 0 ] || die "SIZE is '$size'; expected a whole number of pixels"
[ -x "$peer/synth.sh" ] || die "no Resynthesizer peer at $peer (expected synth.sh there; set RESYNTH_DIR)"
mkdir -p -- "$out"
failed=0
for exemplar in "$@"; do
  [ -f "$exemplar" ] || { echo "peer_resynth.sh: no such exemplar: $exemplar" >&2; failed=1; continue; }
  stem=$(basename -- "${exemplar%.*}")
  start=$(date +%s.%N)
  if "$peer/synth.sh" "$exemplar" "$out/${stem}_${size}.png" "$size" "$size"; then
    wall=$(echo "$(date +%s.%N) - $start" | bc)
    printf '%s\t%s\t%.1f\n' "$stem" "$size" "$wall" | tee -a "$out/times.tsv"
  else
    echo "peer_resynth.sh: Resynthesizer failed on $exemplar" >&2
    failed=1
  fi
done
exit "$failed"
