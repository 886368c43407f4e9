# daemon.sh - helpers for the daemon scripts (sourced; the caller defines fail()).

# term_within PID MAX_MS WHAT: SIGTERM PID, which must exit 0 within MAX_MS milliseconds.
term_within() {
  local p="$1" max="$2" what="$3" t0 el
  t0=$(date +%s%N)
  kill -TERM "$p"
  wait "$p" || fail "$what: non-zero exit on SIGTERM"
  el=$(( ($(date +%s%N) - t0) / 1000000 ))
  [ "$el" -lt "$max" ] || fail "$what: shutdown took ${el} ms (limit ${max} ms)"
}
