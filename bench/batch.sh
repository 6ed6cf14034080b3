#!/usr/bin/env bash
# Batch validation against the hardware's RSA verify rate.
#
# Measures, in one run on the same cores:
#   - openssl speed -multi <cores> rsa2048: verify/s (the peer)
#   - entra-doctor check --batch over N distinct RS256 tokens      (target >= 0.9 x openssl)
#   - entra-doctor check --batch over a log where each appears R times (target >= 5 x openssl)
#   - one whole `check` process with a JWKS file (hyperfine median; target < 3 ms)
#   - peak memory of the batch over the R-times log (N x R tokens; target < 64 MiB)
# Each batch figure is the median of 3 runs. Prints figures and ratios.
# PEER_BIN=<another build of entra-doctor> (e.g. an earlier commit's) adds
# its distinct-token batch, run in turn with this build's, and the ratio.
#
# usage: bench/batch.sh [N=100000] [R=20]      needs: python3 with `cryptography`,
#        openssl, hyperfine (apt-get install hyperfine), GNU time (/usr/bin/time)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-100000}
R=${2:-20}
CORES=$(nproc)
OUT=bench/out
mkdir -p "$OUT"

if [ -z "${BIN:-}" ]; then
  cargo build --release -q -p entra-doctor
  BIN=target/release/entra-doctor
fi
PEER_BIN=${PEER_BIN:-}
TENANT=8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f

if [ ! -s "$OUT/distinct-$N.txt" ]; then
  echo "minting $N distinct tokens..." >&2
  python3 bench/make_tokens.py "$N" 1 "$OUT/distinct-$N.txt" "$OUT/jwks-$N.json"
fi
if [ ! -s "$OUT/repeated-$N-$R.txt" ]; then
  for _ in $(seq "$R"); do cat "$OUT/distinct-$N.txt"; done > "$OUT/repeated-$N-$R.txt"
fi

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

openssl_rate() {
  openssl speed -seconds 5 -multi "$CORES" rsa2048 2>/dev/null | awk '/^rsa 2048/ {print $NF}'
}

# run_batch FILE [BINARY] -> prints "seconds peak_kib"
run_batch() {
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" \
    "${2:-$BIN}" check --batch "$1" --jwks "$OUT/jwks-$N.json" --tenant "$TENANT" > /dev/null 2> "$OUT/summary.txt"
  cat "$OUT/time.txt"
}

echo "cores: $CORES   tokens: $N distinct, and $N x $R repeated"
OSSL=()
DIST=()
REP=()
MEM=()
PEER=()
for i in 1 2 3; do
  OSSL+=("$(openssl_rate)")
  read -r s m < <(run_batch "$OUT/distinct-$N.txt"); DIST+=("$(awk -v n="$N" -v s="$s" 'BEGIN {print n / s}')")
  if [ -n "$PEER_BIN" ]; then
    read -r s m < <(run_batch "$OUT/distinct-$N.txt" "$PEER_BIN"); PEER+=("$(awk -v n="$N" -v s="$s" 'BEGIN {print n / s}')")
  fi
  read -r s m < <(run_batch "$OUT/repeated-$N-$R.txt"); REP+=("$(awk -v n="$N" -v r="$R" -v s="$s" 'BEGIN {print n * r / s}')"); MEM+=("$m")
done
grep -q "$N token(s): $N valid" "$OUT/summary.txt" || grep -q "valid, 0 not valid" "$OUT/summary.txt" || { echo "batch reported invalid tokens:" >&2; cat "$OUT/summary.txt" >&2; exit 1; }

ossl=$(printf '%s\n' "${OSSL[@]}" | median)
dist=$(printf '%s\n' "${DIST[@]}" | median)
rep=$(printf '%s\n' "${REP[@]}" | median)
mem=$(printf '%s\n' "${MEM[@]}" | median)

single="n/a"
if command -v hyperfine > /dev/null; then
  hyperfine -N --warmup 20 --runs 200 --export-json "$OUT/single.json" \
    "$BIN check @examples/databricks-token.jwt --jwks examples/jwks.json --tenant $TENANT" > /dev/null
  single=$(python3 -c "import json; print('%.2f' % (json.load(open('$OUT/single.json'))['results'][0]['median'] * 1000))")
fi

printf '\n%-44s %12s\n' "measure (median of 3)" "value"
printf '%-44s %12.0f /s\n' "openssl speed -multi $CORES rsa2048 verify" "$ossl"
printf '%-44s %12.0f /s   ratio %.2f x openssl (target >= 0.9)\n' "batch, $N distinct tokens" "$dist" "$(awk -v a="$dist" -v b="$ossl" 'BEGIN {print a / b}')"
printf '%-44s %12.0f /s   ratio %.2f x openssl (target >= 5)\n' "batch, each token $R times" "$rep" "$(awk -v a="$rep" -v b="$ossl" 'BEGIN {print a / b}')"
printf '%-44s %12.1f MiB (target < 64) over %d tokens\n' "peak memory, repeated log" "$(awk -v m="$mem" 'BEGIN {print m / 1024}')" "$((N * R))"
printf '%-44s %12s ms (target < 3)\n' "one check process with --jwks (hyperfine)" "$single"
if [ -n "$PEER_BIN" ]; then
  peer=$(printf '%s\n' "${PEER[@]}" | median)
  printf '%-44s %12.0f /s   this build %.2f x it; it %.2f x openssl\n' "peer build, $N distinct tokens" "$peer" \
    "$(awk -v a="$dist" -v b="$peer" 'BEGIN {print a / b}')" "$(awk -v a="$peer" -v b="$ossl" 'BEGIN {print a / b}')"
fi
