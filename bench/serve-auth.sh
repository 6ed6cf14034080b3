#!/usr/bin/env bash
# GET /auth of `entra-doctor serve` under wrk, on loopback, against peers
# measured in the same run on the same cores: nginx answering `return 200`
# to the same requests, this server's own GET /healthz, and the machine's
# RSA-2048 verification rate (openssl speed, all cores). A benchmark, not a
# test: it prints numbers and ratios, and exits non-zero only when it could
# not run (or, with STRICT=1, when a target is missed).
#
#   bench/serve-auth.sh            (needs wrk, nginx, openssl, python3-cryptography)
#
# Runs, each against a fresh server (so peak memory is per run):
#   a. verified-token cache off, N distinct valid tokens: every request verifies
#   b. cache on, M distinct valid tokens seen many times (as a proxy sees them)
#   c. cache on, 75 % valid / 25 % invalid (wrong audience, expired, altered
#      signature, malformed): the invalid ones must get 401, nothing else fails
#   h. the same requests to GET /healthz (this server's HTTP ceiling)
#   n. the same requests to nginx answering `return 200` (two workers, no
#      log): what a server that does no work at all reaches here
# Targets (wrk on the same cores as the server, so stated against peers
# measured beside it rather than in absolute terms):
#   b >= 0.9 x n;
#   a >= 0.9 x the bound 1 / (1/h + 1/openssl): the most a server with this
#     HTTP cost and one verification per request at openssl's speed can do;
#   p99 < 5 ms in a, b and c; no error but the expected 401s.
# Each run also prints the server's CPU time and context switches per
# request (from /proc, over the timed run): steadier than req/s when the
# machine is busy, and where a cost beyond /healthz + one verification shows.
#
# Settings: DURATION (s, default 10), CONNECTIONS (16), WRK_THREADS (nproc),
# N_VALID (5000), N_CACHED (1000), N_INVALID_EACH (250), SKIP_BUILD=1, BIN (the binary:
# target/release/entra-doctor).
set -euo pipefail

cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-16}
CORES=$(nproc)
WRK_THREADS=${WRK_THREADS:-$CORES}
N_VALID=${N_VALID:-5000}
N_CACHED=${N_CACHED:-1000}
N_INVALID_EACH=${N_INVALID_EACH:-250}
OUT=bench/out/serve-auth
BIN=${BIN:-target/release/entra-doctor}
TENANT=8f3c1d2e-5b7a-4c19-9e2d-6a1b3c4d5e6f

for tool in wrk nginx openssl python3; do
  command -v "$tool" >/dev/null || { echo "serve-auth: $tool is not installed (apt-get install -y wrk nginx openssl python3-cryptography)" >&2; exit 2; }
done
python3 -c 'import cryptography' 2>/dev/null || { echo "serve-auth: python3 cannot import cryptography (apt-get install -y python3-cryptography)" >&2; exit 2; }

if [ "${SKIP_BUILD:-}" != 1 ]; then
  echo "== building (release)" >&2
  cargo build --release -p entra-doctor >&2
fi

mkdir -p "$OUT"
echo "== tokens: $N_VALID valid, $((4 * N_INVALID_EACH)) invalid" >&2
python3 bench/serve_auth_tokens.py "$OUT" "$N_VALID" "$N_INVALID_EACH"
head -n "$N_CACHED" "$OUT/valid.txt" > "$OUT/cached.txt"

echo "== openssl speed -seconds 5 -multi $CORES rsa2048" >&2
openssl speed -seconds 5 -multi "$CORES" rsa2048 > "$OUT/openssl.txt" 2>/dev/null
# "rsa 2048 bits 0.000575s 0.000017s   1739.6  58823.5": verify/s is the last column.
OPENSSL_VERIFY=$(awk '/^rsa 2048 bits/ { v = $NF } END { print v }' "$OUT/openssl.txt")
[ -n "$OPENSSL_VERIFY" ] || { echo "serve-auth: cannot read verify/s from openssl speed" >&2; cat "$OUT/openssl.txt" >&2; exit 2; }

SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
# (No failing command in the trap: under set -e it would become the exit status.)
trap 'stop_server; if [ -n "${NGINX_PID:-}" ]; then kill "$NGINX_PID" 2>/dev/null || true; fi' EXIT

# cpu_and_switches PID: "<utime+stime ticks> <context switches>" of the process, all threads.
cpu_and_switches() {
  local ticks switches
  ticks=$(awk '{ print $14 + $15 }' "/proc/$1/stat")
  switches=$(cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }')
  echo "$ticks $switches"
}

# run NAME TOKENS_FILE COUNT(0|1) SERVE_FLAGS...: prints "NAME rps p99_us errors non2xx peak_rss_kib 401s total
# cpu_us_per_request switches_per_request" (the server's CPU time and context switches in the timed run)
# (WRK_PATH=/healthz: the same requests to the health check.)
run() {
  local name=$1 tokens=$2 count=$3
  shift 3
  "$BIN" serve --port 0 --jwks "$OUT/jwks.json" --tenant "$TENANT" --offline --no-cache "$@" \
    > "$OUT/$name.url" 2> "$OUT/$name.serve.log" &
  SERVER_PID=$!
  # The URL is the first line of standard output.
  for _ in $(seq 600); do grep -q . "$OUT/$name.url" 2>/dev/null && break; sleep 0.05; done
  local url
  url=$(head -n1 "$OUT/$name.url")
  [ -n "$url" ] || { echo "serve-auth: the server printed no URL" >&2; cat "$OUT/$name.serve.log" >&2; exit 2; }
  # Warm up (connections, and for the cached runs the cache), then measure.
  WRK_COUNT_STATUS=0 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d 2s -s bench/serve-auth.lua "$url" -- "$tokens" > /dev/null
  local before after
  before=$(cpu_and_switches "$SERVER_PID")
  WRK_COUNT_STATUS=0 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s bench/serve-auth.lua \
    "$url" -- "$tokens" > "$OUT/$name.wrk.txt"
  after=$(cpu_and_switches "$SERVER_PID")
  if [ "$count" = 1 ]; then
    # Answers by status: a separate run, since handing every answer to Lua
    # slows wrk (on the same cores) and would distort the timing run.
    WRK_COUNT_STATUS=1 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d 5s -s bench/serve-auth.lua \
      "$url" -- "$tokens" > "$OUT/$name.count.txt"
  fi
  local hwm
  hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$SERVER_PID/status")
  stop_server
  local line rps p99 non2xx sockerr total s401= s200=
  line=$(grep '^RESULT' "$OUT/$name.wrk.txt")
  rps=$(sed -E 's/.* rps=([0-9]+).*/\1/' <<< "$line")
  p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<< "$line")
  non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<< "$line")
  sockerr=$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<< "$line")
  total=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<< "$line")
  local errors
  if [ "$count" = 1 ]; then
    # Errors: anything but 200 and 401, and socket errors (of both runs).
    local cline ctotal csock
    cline=$(grep '^RESULT' "$OUT/$name.count.txt")
    ctotal=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<< "$cline")
    csock=$(sed -E 's/.* socket_errors=([0-9]+).*/\1/' <<< "$cline")
    s401=$(awk '$1 == "status" && $2 == 401 { print $3 }' "$OUT/$name.count.txt")
    s200=$(awk '$1 == "status" && $2 == 200 { print $3 }' "$OUT/$name.count.txt")
    errors=$(( ctotal - ${s200:-0} - ${s401:-0} + csock + sockerr ))
    total=$ctotal
  else
    errors=$(( non2xx + sockerr ))
  fi
  local timed_requests cost
  timed_requests=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<< "$line")
  cost=$(awk -v b="$before" -v a="$after" -v n="$timed_requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {
    split(b, x, " "); split(a, y, " "); if (n == 0) n = 1
    printf "%.1f %.2f", (y[1] - x[1]) * 1e6 / hz / n, (y[2] - x[2]) / n }')
  echo "$name $rps $p99 $errors $non2xx $hwm ${s401:-0} $total $cost"
}

echo "== wrk: $WRK_THREADS threads, $CONNECTIONS connections, ${DURATION}s per run, on the same $CORES cores as the server" >&2
# (Not in $(...): the server must be stopped by this shell's EXIT trap.)
run a-nocache "$OUT/valid.txt" 0 --no-token-cache > "$OUT/a.result"
run b-cache "$OUT/cached.txt" 0 > "$OUT/b.result"
run c-mix "$OUT/mix.txt" 1 > "$OUT/c.result"
# For comparison: the same requests to GET /healthz, which checks nothing:
# what HTTP/1.1 over loopback allows on these cores with wrk beside it.
WRK_PATH=/healthz run h-healthz "$OUT/cached.txt" 0 > "$OUT/h.result"
# And the named peer: nginx answering `return 200` to the same requests
# (a worker per core, access log off).
NG="$PWD/$OUT/nginx"
mkdir -p "$NG"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$NG/nginx.conf" <<CONF
worker_processes $CORES;
pid $NG/nginx.pid;
error_log $NG/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NG/body; proxy_temp_path $NG/proxy; fastcgi_temp_path $NG/fcgi;
  uwsgi_temp_path $NG/uwsgi; scgi_temp_path $NG/scgi;
  server { listen 127.0.0.1:$PORT; location / { return 200 "ok"; } }
}
CONF
nginx -c "$NG/nginx.conf" -p "$NG" 2> "$NG/start.log" &
NGINX_PID=$!
for _ in $(seq 100); do (exec 3<> "/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.05; done
WRK_COUNT_STATUS=0 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d 2s -s bench/serve-auth.lua "http://127.0.0.1:$PORT/" -- "$OUT/cached.txt" > /dev/null
WRK_COUNT_STATUS=0 wrk -t "$WRK_THREADS" -c "$CONNECTIONS" -d "${DURATION}s" --latency -s bench/serve-auth.lua \
  "http://127.0.0.1:$PORT/auth" -- "$OUT/cached.txt" > "$OUT/nginx.wrk.txt"
kill "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=
NGINX_P99=$(sed -nE 's/^RESULT .* p99_us=([0-9]+).*/\1/p' "$OUT/nginx.wrk.txt")
NGINX_RPS=$(sed -nE 's/^RESULT .* rps=([0-9]+).*/\1/p' "$OUT/nginx.wrk.txt")
[ -n "$NGINX_RPS" ] || { echo "serve-auth: nginx gave no result" >&2; cat "$NG/start.log" "$NG/error.log" >&2 2>/dev/null; exit 2; }

A=$(cat "$OUT/a.result") B=$(cat "$OUT/b.result") C=$(cat "$OUT/c.result") H=$(cat "$OUT/h.result")

fmt() { awk -v ov="$OPENSSL_VERIFY" '{ printf "%-10s %9d req/s  %5.2fx  p99 %6.2f ms  errors %d  peak RSS %6.1f MiB  server CPU %5.1f us/req, %4.2f switches/req", $1, $2, $2 / ov, $3 / 1000, $4, $6 / 1024, $9, $10; if ($1 == "c-mix") printf "  401s %d of %d (%.1f %%)", $7, $8, 100 * $7 / $8; printf "\n" }' <<< "$1"; }

echo
echo "openssl rsa2048 verify/s (-multi $CORES): $OPENSSL_VERIFY"
echo "run        throughput    x openssl   latency       errors    memory"
fmt "$A"
fmt "$B"
fmt "$C"
fmt "$H"

echo "nginx \`return 200\`   $NGINX_RPS req/s  p99 $(awk -v p="$NGINX_P99" 'BEGIN { printf "%.2f", p / 1000 }') ms"

H_RPS=$(awk '{ print $2 }' <<< "$H")
# The most cache-off can reach with the HTTP cost of /healthz and one
# verification per request at openssl's speed, both on the same cores.
BOUND=$(awk -v h="$H_RPS" -v ov="$OPENSSL_VERIFY" 'BEGIN { printf "%.0f", 1 / (1 / h + 1 / ov) }')

# verdict LINE PEER_RPS PEER_NAME: the run's rate against the peer's, p99, errors.
verdict() {
  awk -v peer="$2" -v name="$3" '{ r = $2 / peer; ok = (r >= 0.9) && ($3 < 5000) && ($4 == 0)
    printf "%s: %d req/s = %.2f x %s (%d req/s), p99 %.2f ms, %d errors: %s (>= 0.9 x, p99 < 5 ms, no errors)\n",
      $1, $2, r, name, peer, $3 / 1000, $4, ok ? "meets the target" : "MISSES the target"; exit !ok }' <<< "$1"
}
echo
status=0
verdict "$B" "$NGINX_RPS" 'nginx `return 200`' || status=1
verdict "$A" "$BOUND" 'the bound 1/(1/healthz + 1/verify)' || status=1
awk '{ f = $7 / $8; ok = f > 0.23 && f < 0.27 && $3 < 5000 && $4 == 0
  printf "%s: p99 %.2f ms, %d errors, %d 401s of %d (%.1f %%; a quarter of the tokens are invalid): %s\n",
    $1, $3 / 1000, $4, $7, $8, 100 * f, ok ? "meets the target" : "MISSES the target"; exit !ok }' <<< "$C" || status=1
awk -v n="$NGINX_RPS" -v b="$BOUND" -v ov="$OPENSSL_VERIFY" -v h="$H_RPS" -v a="$(awk '{ print $2 }' <<< "$A")" -v c="$(awk '{ print $2 }' <<< "$B")" 'BEGIN {
  printf "ratios: cache on %.2f x nginx; cache off %.2f x the bound (%.2f x openssl; the bound is %.2f x openssl); /healthz %.2f x nginx\n",
    c / n, a / b, a / ov, b / ov, h / n }'
if [ "${STRICT:-}" = 1 ]; then exit $status; fi
