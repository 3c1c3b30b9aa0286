#!/usr/bin/env bash
# The TUI's idle cost (issue #6 goal: <= 2% of one core with 50 idle envs), as root:
#
#   scripts/bench-tui.sh [--bin PATH] [--envs N] [--seconds S] [--warmup S] [--keep-output]
#
# Starts N idle envs (`devshell run idle -- sleep 3600`, network none) in a throwaway database, starts the TUI
# (`devshell`, no arguments) in a 120x40 tmux pane, waits until it shows them all, lets it settle for --warmup
# seconds, then reads its utime+stime over S seconds. Prints one line on stdout:
#
#   tui_cpu_pct=X tui_rss_mb=Y tui_envs=N tui_seconds=S
#
# (X: percent of ONE core; Y: VmRSS at the end, MB). Progress goes to stderr.
# Binary: --bin, else $DEVSHELL_BIN, else artifacts/bin/devshell; stage two is found next to it (or DEVSHELL_STAGE2).
# Everything it makes has its own name (database and run dir /var/tmp/dstuibench.PID, cgroup parent "dstuibench",
# bridge dstuib0, nft table devshell_tuibench, tmux socket "dstuibench") and is removed on exit, by name or pid.
# Every wait is bounded.
set -uo pipefail
cd "$(dirname "$0")/.."

DS=${DEVSHELL_BIN:-$(pwd)/artifacts/bin/devshell}
ENVS=50
SECONDS_=30
WARMUP=5
while [ $# -gt 0 ]; do
  case "$1" in
    --bin) DS=$2; shift 2 ;;
    --envs) ENVS=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --warmup) WARMUP=$2; shift 2 ;;
    -h|--help) sed -n '2,16p' "$0"; exit 0 ;;
    *) echo "bench-tui: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench-tui: needs root (envs use namespaces and cgroups): run it with sudo" >&2; exit 2; }
[ -x "$DS" ] || { echo "bench-tui: no devshell binary at $DS (publish it with scripts/test.sh or pass --bin)" >&2; exit 2; }
command -v tmux >/dev/null || { echo "bench-tui: tmux is missing (apt-get install -y tmux)" >&2; exit 2; }

W=/var/tmp/dstuibench.$$
mkdir -p "$W"
export DEVSHELL_DB=$W/devshell.db
export DEVSHELL_RUN_DIR=$W/run
export DEVSHELL_CGROUP_PARENT=dstuibench
export DEVSHELL_BRIDGE=dstuib0
export DEVSHELL_NFT_TABLE=devshell_tuibench
unset DEVSHELL_TRACE
TMUX_SOCK=dstuibench
BG_PIDS=()

log() { printf '== %s\n' "$*" >&2; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
ticks() { awk '{print $14+$15}' "/proc/$1/stat" 2>/dev/null; }
running_count() { grep -l '^init ' "$DEVSHELL_RUN_DIR"/sessions/*.claim 2>/dev/null | wc -l; }

cleanup() {
  set +e
  tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
  "$DS" stop --all >/dev/null 2>&1
  for _ in $(seq 300); do # <= ~30 s for the run fronts to end
    alive=0; for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
    [ $alive -eq 0 ] && break; sleep 0.1
  done
  for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
  for p in "${BG_PIDS[@]}"; do wait "$p" 2>/dev/null; done
  "$DS" gc >/dev/null 2>&1
  "$DS" net down --force >/dev/null 2>&1
  for d in /sys/fs/cgroup/*/dstuibench /sys/fs/cgroup/dstuibench; do
    [ -d "$d" ] || continue
    find "$d" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    rmdir "$d" 2>/dev/null
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

printf '%s\n' '{"name":"idle","shell":"/bin/sh","network":{"mode":"none"}}' | "$DS" profile add - >/dev/null ||
  { echo "bench-tui: could not add the idle profile" >&2; exit 1; }

log "starting $ENVS idle envs"
for i in $(seq "$ENVS"); do
  "$DS" run idle -- sleep 3600 >/dev/null 2>>"$W/run-err.txt" </dev/null &
  BG_PIDS+=($!)
  ok=""
  for _ in $(seq 600); do # <= ~60 s each
    if [ "$(running_count)" -ge "$i" ]; then ok=1; break; fi
    kill -0 "${BG_PIDS[-1]}" 2>/dev/null || break
    sleep 0.1
  done
  [ -n "$ok" ] || { echo "bench-tui: env $i did not start: $(head -c 300 "$W/run-err.txt")" >&2; exit 1; }
done

log "starting the TUI in tmux"
envs="DEVSHELL_DB=$DEVSHELL_DB DEVSHELL_RUN_DIR=$DEVSHELL_RUN_DIR DEVSHELL_CGROUP_PARENT=$DEVSHELL_CGROUP_PARENT DEVSHELL_BRIDGE=$DEVSHELL_BRIDGE DEVSHELL_NFT_TABLE=$DEVSHELL_NFT_TABLE"
[ -n "${DEVSHELL_STAGE2:-}" ] && envs="$envs DEVSHELL_STAGE2=$DEVSHELL_STAGE2"
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s tui -x 120 -y 40 "exec env TERM=xterm-256color $envs $DS"
tui=$(tmux -L "$TMUX_SOCK" list-panes -t tui -F '#{pane_pid}')
want="Running ($ENVS)"
[ "$ENVS" = 0 ] && want="Running (none)"
up=""
for _ in $(seq 300); do # <= ~30 s
  if tmux -L "$TMUX_SOCK" capture-pane -p -t tui 2>/dev/null | grep -qF "$want"; then up=1; break; fi
  sleep 0.1
done
[ -n "$up" ] || { echo "bench-tui: the TUI never showed \"$want\":" >&2; tmux -L "$TMUX_SOCK" capture-pane -p -t tui >&2; exit 1; }

sleep "$WARMUP"
log "measuring the TUI (pid $tui) for $SECONDS_ s"
a=$(ticks "$tui"); ta=$(now_us)
sleep "$SECONDS_"
b=$(ticks "$tui"); tb=$(now_us)
rss_kb=$(awk '/^VmRSS:/{print $2}' "/proc/$tui/status" 2>/dev/null)
[ -n "$a" ] && [ -n "$b" ] && [ -n "$rss_kb" ] || { echo "bench-tui: the TUI (pid $tui) exited during the measurement" >&2; exit 1; }
hz=$(getconf CLK_TCK)
awk -v t=$((b - a)) -v hz="$hz" -v us=$((tb - ta)) -v rss="$rss_kb" -v n="$ENVS" -v s="$SECONDS_" \
  'BEGIN { printf "tui_cpu_pct=%.2f tui_rss_mb=%.1f tui_envs=%d tui_seconds=%d\n", 100 * t / hz / (us / 1e6), rss / 1024, n, s }'
