#!/usr/bin/env bash
# park_stress.sh - hammer dm-gateway's idle-connection parking (gateway/http_park.c), loopback only.
#
# Starts a real dm-master (no workers: QueryStatus of an unknown task answers 404 at once) and
# dm-gateway (--idle-park-after 1 --connection-timeout 5), optionally under valgrind or an
# ASan/UBSan build, and drives it with a Python client (embedded below):
#   mix    N threads for D seconds: keep-alive connections that idle past idle-park-after and
#          send again (GET, POST JSON, 401 keep-alive, pipelined batches), clients closing while
#          parked, closing mid-request, a half-sent request line stalled past idle-park-after,
#          Connection: close, HTTP/1.0, silent new connections. Every complete request must get
#          exactly one correct answer (status + body tied to the request, unique X-Request-Id).
#   fds    /proc/PID/fd back at the baseline and dmgw_http_parked_connections 0 after clients close
#   drain  parked connections, parked ones that close or speak at the moment of SIGTERM, and
#          in-flight POSTs (body half sent): SIGTERM; in-flight answered, parked closed, exit 0
#   limit  second gateway with --max-connections 6: over-limit refused, held keep-alive
#          connections (parked between requests) always served while aggressors churn
# Then: valgrind ERROR SUMMARY (definite leaks count as errors) and open fds at exit, or the
# sanitizer logs. Prints CHECK/PASS/FAIL lines; exit 1 on any FAIL.
#
# Usage: scripts/bench/park_stress.sh [--valgrind] [-d SECONDS] [-n THREADS] [--bin DIR]
#   --bin DIR   dm-gateway and dm-master (default build/bin); an ASan/UBSan build's bin works
#               as is (sanitizer reports go to the work directory and are checked)
# Env: PS_PORT_BASE (default 29300; uses +0..+3), PS_KEEP=1 keeps the work directory.
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BIN="$ROOT/build/bin"; DUR=60; THREADS=24; VG=0
while [ $# -gt 0 ]; do
  case "$1" in
    --valgrind) VG=1; shift;;
    -d) DUR="$2"; shift 2;;
    -n) THREADS="$2"; shift 2;;
    --bin) BIN="$2"; shift 2;;
    -h|--help) sed -n '2,24p' "$0"; exit 0;;
    *) echo "unknown option $1" >&2; exit 2;;
  esac
done
BASE="${PS_PORT_BASE:-29300}"; MPORT=$BASE; GPORT=$((BASE + 1)); LPORT=$((BASE + 2))
W="$(mktemp -d /tmp/park-stress.XXXXXX)"
PIDS=(); NFAIL=0
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
  [ "${PS_KEEP:-0}" = 1 ] && echo "work directory kept: $W" || rm -rf "$W"
}
trap cleanup EXIT
say() { printf '[park_stress %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
pass() { printf 'PASS %s\n' "$*"; }
failc() { printf 'FAIL %s\n' "$*"; NFAIL=$((NFAIL + 1)); }
for t in curl python3; do command -v "$t" >/dev/null || { echo "missing $t" >&2; exit 2; }; done
[ -x "$BIN/dm-gateway" ] && [ -x "$BIN/dm-master" ] || { echo "no dm-gateway/dm-master in $BIN" >&2; exit 2; }
[ "$VG" = 1 ] && { command -v valgrind >/dev/null || { echo "missing valgrind" >&2; exit 2; }; }
export ASAN_OPTIONS="log_path=$W/asan:detect_leaks=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="log_path=$W/ubsan:print_stacktrace=1:${UBSAN_OPTIONS:-}"

head -c 32 /dev/urandom | base64 >"$W/secret"
printf 'master-addr = "127.0.0.1:%s"\ndata-dir = "%s/mdata"\n' "$MPORT" "$W" >"$W/m.toml"
ASAN_OPTIONS=detect_leaks=0 "$BIN/dm-master" -config "$W/m.toml" >"$W/master.log" 2>&1 &
PIDS+=($!)
TOKEN="$(ASAN_OPTIONS=detect_leaks=0 "$BIN/dm-gateway" token --secret-file "$W/secret" --sub stress --scope dm:write --ttl 1h)"

start_gw() { # name port extra-flags... -> GW_PID
  local name="$1" port="$2"; shift 2
  local pre=()
  [ "$VG" = 1 ] && pre=(valgrind --leak-check=full --errors-for-leak-kinds=definite --track-fds=yes
                         --num-callers=30 --log-file="$W/vg-$name.log")
  "${pre[@]}" "$BIN/dm-gateway" --listen-addr "127.0.0.1:$port" --master-addr "127.0.0.1:$MPORT" \
    --auth-secret-file "$W/secret" --anonymous-read=true --idle-park-after 1 --connection-timeout 5 \
    --log-level warn "$@" >"$W/gw-$name.log" 2>&1 &
  GW_PID=$!; PIDS+=("$GW_PID")
  local i
  for i in $(seq 1 600); do
    curl -sf "http://127.0.0.1:$port/livez" >/dev/null 2>&1 && return 0
    kill -0 "$GW_PID" 2>/dev/null || break
    sleep 0.2
  done
  echo "gateway $name did not start:"; tail -5 "$W/gw-$name.log"; exit 1
}
nfd() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }
parked() { curl -sf "http://127.0.0.1:$1/metrics" | awk '$1=="dmgw_http_parked_connections"{print $2}'; }
client() { PS_PORT="$1" PS_TOKEN="$TOKEN" PS_PARK=1 PS_IO_TIMEOUT=60 timeout $((DUR + 300)) python3 "$W/client.py" "${@:2}"; }
wait_exit() { # pid seconds -> rc of the process, 124 when it did not exit
  local i
  for i in $(seq 1 $(($2 * 5))); do kill -0 "$1" 2>/dev/null || { wait "$1"; return $?; }; sleep 0.2; done
  return 124
}
settle_fds() { # pid port baseline: wait up to 20 s for fds == baseline and gauge 0
  local i n g
  for i in $(seq 1 100); do
    n=$(nfd "$1"); g=$(parked "$2")
    [ "$n" -le "$3" ] && [ "$g" = 0 ] && break
    sleep 0.2
  done
  echo "$n $g"
}
check_vg() { # name
  local f="$W/vg-$1.log" s
  [ "$VG" = 1 ] || return 0
  s="$(grep -E 'ERROR SUMMARY' "$f" | tail -1)"
  say "valgrind $1: $s"; grep -E 'definitely lost:|indirectly lost:|FILE DESCRIPTORS' "$f" | sed 's/^/    /'
  if grep -q 'ERROR SUMMARY: 0 errors' "$f"; then pass "valgrind $1: no invalid accesses, no definite leaks"
  else failc "valgrind $1: see $f"; grep -E -A12 'Invalid|definitely lost in' "$f" | head -60; fi
  # at exit: inherited ones and gRPC's process-wide poller (epoll + eventfd, made once by
  # grpc_init and never closed by the library) are fine; anything else was leaked
  s="$(awk '/Open (file|AF_[A-Z0-9]+ socket) descriptor/{if (blk != "" && blk !~ /inherited from parent|grpc_/) bad++; blk=$0; next}
            /==[0-9]+== *$/{if (blk != "" && blk !~ /inherited from parent|grpc_/) bad++; blk=""; next}
            blk != ""{blk=blk "\n" $0} END{print bad+0}' "$f")"
  say "valgrind $1: $(grep -oE 'FILE DESCRIPTORS: [0-9]+ open \([0-9]+ std\)' "$f" | tail -1) at exit"
  if [ "$s" = 0 ]; then pass "valgrind $1: no descriptor left open by the gateway at exit (only inherited ones and gRPC's global poller)"
  else failc "valgrind $1: $s descriptor(s) left open at exit"; grep -A6 'Open .*descriptor' "$f" | grep -v inherited | head -40; fi
}

cat >"$W/client.py" <<'PY'
import json, os, random, socket, sys, threading, time

PORT = int(os.environ["PS_PORT"])
TOKEN = os.environ.get("PS_TOKEN", "")
PARK = float(os.environ.get("PS_PARK", "1"))
IO_TIMEOUT = float(os.environ.get("PS_IO_TIMEOUT", "60"))

lock = threading.Lock()
stats = {}
fails = []
req_ids = set()


def bump(k, n=1):
    with lock:
        stats[k] = stats.get(k, 0) + n


def fail(msg):
    with lock:
        fails.append(msg)
        stats["FAIL"] = stats.get("FAIL", 0) + 1


def connect():
    s = socket.create_connection(("127.0.0.1", PORT), timeout=IO_TIMEOUT)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


class Reader:
    def __init__(self, s):
        self.s, self.buf = s, b""

    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("eof")
        self.buf += d

    def response(self):
        """-> (status, headers dict lower, body bytes) or raises EOFError/ConnectionError/timeout"""
        while b"\r\n\r\n" not in self.buf:
            self.fill()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split()[1])
        h = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(":")
            h[k.strip().lower()] = v.strip()
        n = int(h.get("content-length", "0"))
        while len(self.buf) < n:
            self.fill()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, h, body

    def at_eof(self, timeout):
        """True when the peer closes (EOF or reset) within timeout without sending bytes."""
        self.s.settimeout(timeout)
        try:
            d = self.s.recv(1)
            return d == b""
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        finally:
            self.s.settimeout(IO_TIMEOUT)


# ---- requests: (bytes, checker(status, headers, body) -> error string or None) ----

def uniq():
    return "t%08x" % random.getrandbits(32)


def req_get_task(extra=b"", version=b"HTTP/1.1"):
    name = uniq()
    raw = b"GET /api/v1/tasks/" + name.encode() + b" " + version + b"\r\nHost: x\r\n" + extra + b"\r\n"

    def chk(st, h, body):
        if st != 404:
            return "get %s: status %d %r" % (name, st, body[:200])
        if ("task %s has no workers" % name).encode() not in body:
            return "get %s: wrong body %r" % (name, body[:200])
    return raw, chk, "get"


def req_list():
    raw = b"GET /api/v1/tasks HTTP/1.1\r\nHost: x\r\n\r\n"

    def chk(st, h, body):
        if st != 200 or json.loads(body).get("result") is not True:
            return "list: %d %r" % (st, body[:200])
    return raw, chk, "list"


def req_encrypt():
    pw = uniq()
    body = json.dumps({"password": pw}).encode()
    raw = (b"POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
           b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body)

    def chk(st, h, b):
        try:
            j = json.loads(b)
        except ValueError:
            j = {}
        if st != 200 or j.get("result") is not True or not j.get("encrypted"):
            return "encrypt: %d %r" % (st, b[:200])
    return raw, chk, "post"


def req_pause():
    name = uniq()
    body = b"{}"
    raw = (b"POST /api/v1/tasks/" + name.encode() + b"/pause HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " +
           TOKEN.encode() + b"\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n" + body)

    def chk(st, h, b):
        if st != 404 or ("task %s has no workers" % name).encode() not in b or b'"op":"Pause"' not in b:
            return "pause %s: %d %r" % (name, st, b[:200])
    return raw, chk, "post"


def req_401():
    name = uniq()
    raw = b"DELETE /api/v1/tasks/" + name.encode() + b" HTTP/1.1\r\nHost: x\r\n\r\n"

    def chk(st, h, b):
        if st != 401:
            return "401 %s: %d %r" % (name, st, b[:200])
        if "close" in h.get("connection", "").lower():
            return "401 %s: Connection: close on a keep-alive 401" % name
    return raw, chk, "401"


KEEPALIVE_REQS = [req_get_task, req_get_task, req_list, req_encrypt, req_pause, req_401]


def check_resp(rd, chk, kind, what):
    st, h, body = rd.response()
    rid = h.get("x-request-id")
    if rid:
        with lock:
            if rid in req_ids:
                fails.append("%s: duplicate X-Request-Id %s" % (what, rid))
            req_ids.add(rid)
    err = chk(st, h, body)
    if err:
        fail("%s: %s" % (what, err))
    else:
        bump("answered_ok")
        bump("ok_" + kind)
    return h


def send_and_check(s, rd, reqs, what):
    raw = b"".join(r[0] for r in reqs)
    bump("requests_sent", len(reqs))
    s.sendall(raw)
    for r in reqs:
        check_resp(rd, r[1], r[2], what)


# ---- scenarios ----

def sc_idle_reuse():
    """keep-alive: request, idle past park-after (parked), request again; finally close while parked"""
    s = connect()
    rd = Reader(s)
    try:
        for i in range(random.randint(2, 4)):
            if random.random() < 0.25:
                reqs = [random.choice(KEEPALIVE_REQS)() for _ in range(random.randint(2, 4))]
                bump("pipelined_batches")
            else:
                reqs = [random.choice(KEEPALIVE_REQS)()]
            send_and_check(s, rd, reqs, "idle_reuse round %d" % i)
            time.sleep(random.uniform(PARK + 0.4, PARK + 1.8))
            bump("idle_gaps")
    finally:
        s.close()
        bump("closed_while_parked")


def sc_pipeline():
    s = connect()
    rd = Reader(s)
    try:
        send_and_check(s, rd, [random.choice(KEEPALIVE_REQS)() for _ in range(random.randint(3, 6))], "pipeline")
        bump("pipelined_batches")
    finally:
        s.close()


def sc_close_mid_request():
    s = connect()
    rd = Reader(s)
    try:
        if random.random() < 0.5:
            send_and_check(s, rd, [req_get_task()], "mid-request pre")
            time.sleep(PARK + 0.5)   # parked, then the partial request brings it back
        body = b'{"password":"half'
        part = (b"POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n" + body)
        cut = random.choice([len(part), len(part) // 2, 20])
        s.sendall(part[:cut])
        time.sleep(random.uniform(0, 0.3))
        bump("closed_mid_request")
    finally:
        s.close()


def sc_half_line():
    """documented loss: part of a request line, stall past park-after, then the rest -> 400 or close"""
    s = connect()
    rd = Reader(s)
    try:
        send_and_check(s, rd, [req_get_task()], "half-line pre")
        s.sendall(b"GET /api/v1/ta")
        time.sleep(PARK + 0.8)
        try:
            s.sendall(b"sks HTTP/1.1\r\nHost: x\r\n\r\n")
            st, h, body = rd.response()
            if st == 200:
                bump("half_line_served")
            elif st == 400:
                bump("half_line_400")
            else:
                fail("half-line: unexpected status %d %r" % (st, body[:200]))
        except (EOFError, ConnectionError):
            bump("half_line_closed")
    finally:
        s.close()


def sc_conn_close():
    s = connect()
    rd = Reader(s)
    try:
        if random.random() < 0.5:
            send_and_check(s, rd, [req_get_task()], "conn-close pre")
            time.sleep(PARK + 0.5)
        send_and_check(s, rd, [req_get_task(b"Connection: close\r\n")], "conn-close")
        if not rd.at_eof(10):
            fail("Connection: close: server kept the connection open")
        else:
            bump("ok_closed_after_close")
    finally:
        s.close()


def sc_http10():
    s = connect()
    rd = Reader(s)
    try:
        send_and_check(s, rd, [req_get_task(version=b"HTTP/1.0")], "http/1.0")
        if not rd.at_eof(10):
            fail("HTTP/1.0: server kept the connection open")
        else:
            bump("ok_closed_after_http10")
    finally:
        s.close()


def sc_silent_new():
    s = connect()
    rd = Reader(s)
    try:
        time.sleep(PARK + random.uniform(0.3, 1.5))
        send_and_check(s, rd, [random.choice(KEEPALIVE_REQS)()], "silent-new")
    finally:
        s.close()


SCENARIOS = [(sc_idle_reuse, 40), (sc_pipeline, 15), (sc_close_mid_request, 10), (sc_half_line, 3),
             (sc_conn_close, 8), (sc_http10, 8), (sc_silent_new, 8)]


def worker(deadline, scen):
    names = [f for f, w in scen for _ in range(w)]
    while time.time() < deadline:
        f = random.choice(names)
        try:
            f()
            bump("scenario_" + f.__name__)
        except (EOFError, ConnectionError, socket.timeout, OSError) as e:
            fail("%s: %s: %s" % (f.__name__, type(e).__name__, e))


def run_mix(dur, nthreads):
    deadline = time.time() + dur
    ts = [threading.Thread(target=worker, args=(deadline, SCENARIOS)) for _ in range(nthreads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


# ---- limit mode: max-connections small; held keep-alive clients must always be served ----

def run_limit(dur, maxc, held, aggressors):
    conns = []
    for i in range(maxc):
        s = connect()
        rd = Reader(s)
        send_and_check(s, rd, [req_get_task()], "limit held first")
        conns.append((s, rd))
    time.sleep(PARK + 1)   # all parked: limits count them
    # one more must be refused (closed without an answer)
    s = connect()
    try:
        s.sendall(req_get_task()[0])
        rd = Reader(s)
        try:
            rd.response()
            fail("limit: connection over max-connections was served")
        except (EOFError, ConnectionError):
            bump("limit_refused")
    finally:
        s.close()
    for s, rd in conns[held:]:
        s.close()
    conns = conns[:held]
    deadline = time.time() + dur

    def held_loop(s, rd):
        try:
            while time.time() < deadline:
                time.sleep(random.uniform(PARK + 0.3, PARK + 1.5))
                send_and_check(s, rd, [random.choice(KEEPALIVE_REQS)()], "limit held")
        except (EOFError, ConnectionError, socket.timeout, OSError) as e:
            fail("limit held connection lost: %s: %s" % (type(e).__name__, e))
        finally:
            s.close()

    def aggressor():
        while time.time() < deadline:
            try:
                s = connect()
            except OSError:
                bump("limit_connect_error")
                continue
            rd = Reader(s)
            r = req_get_task()
            try:
                s.sendall(r[0])
                bump("requests_sent")
                check_resp(rd, r[1], r[2], "aggressor")
                bump("limit_aggressor_served")
            except (EOFError, ConnectionError):
                bump("limit_aggressor_refused")
            finally:
                s.close()
            time.sleep(0.02)

    ts = [threading.Thread(target=held_loop, args=c) for c in conns]
    ts += [threading.Thread(target=aggressor) for _ in range(aggressors)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()


# ---- drain mode: parked + active + in-flight (half-sent body) connections, then SIGTERM ----

def run_drain(pid, nparked, ninflight, nchurn=0):
    parked = []
    for i in range(nparked):
        s = connect()
        rd = Reader(s)
        send_and_check(s, rd, [req_get_task()], "drain parked first")
        parked.append((s, rd))
    churn = []   # parked too; at SIGTERM half of them close, half send a request
    for i in range(nchurn):
        s = connect()
        rd = Reader(s)
        send_and_check(s, rd, [req_get_task()], "drain churn first")
        churn.append((s, rd))
    inflight = []
    for i in range(ninflight):
        s = connect()
        rd = Reader(s)
        pw = uniq()
        body = json.dumps({"password": pw}).encode()
        head = (b"POST /api/v1/passwords/encrypt HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + TOKEN.encode() +
                b"\r\nContent-Type: application/json\r\nContent-Length: " + str(len(body)).encode() + b"\r\n\r\n")
        inflight.append((s, rd, head, body))
    time.sleep(PARK + 1.5)          # the first group is parked now
    for s, rd, head, body in inflight:
        s.sendall(head + body[:5])  # in flight: headers + part of the body
    bump("requests_sent", ninflight)
    time.sleep(0.5)
    late = []
    for i, (s, rd) in enumerate(churn):
        if i % 2:
            s.close()
            bump("drain_churn_closed")
        else:
            r = req_get_task()
            late.append((s, rd, r))
    for s, rd, r in late:
        try:
            s.sendall(r[0])
        except OSError:
            pass
    os.kill(pid, 15)
    bump("sigterm_sent")
    for s, rd, r in late:
        try:
            check_resp(rd, r[1], r[2], "drain churn request")
            bump("drain_churn_answered")
        except (EOFError, ConnectionError):
            if rd.buf:
                fail("drain churn: partial answer %r" % rd.buf[:100])
            bump("drain_churn_closed_unanswered")
        except socket.timeout:
            fail("drain churn: no answer and no close")
        s.close()
    time.sleep(0.3)
    for s, rd, head, body in inflight:
        s.sendall(body[5:])
    for s, rd, head, body in inflight:
        try:
            check_resp(rd, lambda st, h, b: None if st == 200 and b'"result":true' in b else "drain in-flight %d %r" % (st, b[:200]),
                       "post", "drain in-flight")
            bump("drain_inflight_answered")
        except (EOFError, ConnectionError, socket.timeout) as e:
            fail("drain: in-flight request lost: %s" % e)
        s.close()
    for s, rd in parked:
        if rd.at_eof(20):
            bump("drain_parked_closed")
        else:
            fail("drain: parked connection still open 20 s after SIGTERM")
        s.close()


def main():
    mode = sys.argv[1]
    t0 = time.time()
    if mode == "mix":
        run_mix(float(sys.argv[2]), int(sys.argv[3]))
    elif mode == "limit":
        run_limit(float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    elif mode == "drain":
        run_drain(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))
    stats["seconds"] = round(time.time() - t0, 1)
    print(json.dumps({"stats": stats, "fails": fails[:30]}, sort_keys=True))
    sys.exit(1 if fails else 0)


if __name__ == "__main__":
    main()
PY

# ---- gateway A: mix, fds, drain ----
start_gw main "$GPORT" --max-connections-per-ip 0
A=$GW_PID
curl -sf "http://127.0.0.1:$GPORT/api/v1/tasks/warmup" >/dev/null; curl -sf "http://127.0.0.1:$GPORT/metrics" >/dev/null
sleep 1.5; BASEFD=$(nfd "$A")
say "gateway A pid $A, baseline $BASEFD fds; mix: $THREADS threads for $DUR s"
say "CHECK every complete request gets exactly one correct answer"
if out="$(client "$GPORT" mix "$DUR" "$THREADS")"; then pass "mix: $out"; else failc "mix: $out"; fi
say "CHECK fds back to baseline and parked gauge 0 after clients closed"
read -r n g <<<"$(settle_fds "$A" "$GPORT" "$BASEFD")"
[ "$n" -le "$BASEFD" ] && pass "fds: $n (baseline $BASEFD)" || { failc "fds: $n (baseline $BASEFD)"; ls -l "/proc/$A/fd" | tail -20; }
[ "$g" = 0 ] && pass "dmgw_http_parked_connections 0" || failc "dmgw_http_parked_connections $g"
say "parks_total $(curl -sf "http://127.0.0.1:$GPORT/metrics" | awk '$1=="dmgw_http_parks_total"{print $2}')"
say "CHECK drain: SIGTERM with 30 parked, 200 parked that close/speak at SIGTERM, 5 in flight"
if out="$(client "$GPORT" drain "$A" 30 5 200)"; then pass "drain: $out"; else failc "drain: $out"; fi
wait_exit "$A" 120; rc=$?
[ "$rc" = 0 ] && pass "gateway A exited 0 after SIGTERM" || failc "gateway A exit code $rc"
check_vg main

# ---- gateway B: connection limit ----
start_gw limit "$LPORT" --max-connections 6
B=$GW_PID
curl -sf "http://127.0.0.1:$LPORT/api/v1/tasks/warmup" >/dev/null; curl -sf "http://127.0.0.1:$LPORT/metrics" >/dev/null
sleep 1.5; BASEFD=$(nfd "$B")
say "CHECK limits: max-connections 6, over-limit refused, 4 held keep-alive always served, 6 aggressors"
if out="$(client "$LPORT" limit "$((DUR / 3 + 10))" 6 4 6)"; then pass "limit: $out"; else failc "limit: $out"; fi
read -r n g <<<"$(settle_fds "$B" "$LPORT" "$BASEFD")"
[ "$n" -le "$BASEFD" ] && pass "limit fds: $n (baseline $BASEFD)" || failc "limit fds: $n (baseline $BASEFD)"
[ "$g" = 0 ] && pass "limit: dmgw_http_parked_connections 0" || failc "limit: dmgw_http_parked_connections $g"
kill -TERM "$B"; wait_exit "$B" 120; rc=$?
[ "$rc" = 0 ] && pass "gateway B exited 0 after SIGTERM" || failc "gateway B exit code $rc"
check_vg limit

say "CHECK sanitizer reports"
if ls "$W"/asan.* "$W"/ubsan.* >/dev/null 2>&1; then failc "sanitizer reports:"; cat "$W"/asan.* "$W"/ubsan.* | head -80
elif grep -l 'runtime error\|AddressSanitizer\|LeakSanitizer' "$W"/gw-*.log >/dev/null 2>&1; then failc "sanitizer output in gateway logs"
else pass "no ASan/UBSan/LSan report (meaningful with an ASan+UBSan build)"; fi
grep -h '"level":"error"' "$W"/gw-*.log | head -5
[ "$NFAIL" = 0 ] && { echo "PASS park_stress"; exit 0; }
echo "FAIL park_stress: $NFAIL check(s) failed"; exit 1
