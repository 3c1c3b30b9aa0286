#!/usr/bin/env bash
# Renders a screenshot of the DevShell TUI as a PNG (default docs/tui.png).
#
#   scripts/tui-screenshot.sh [--demo] [--envs N] [--size 120x40] [--out docs/tui.png]
#
# Starts `devshell` (DEVSHELL_BIN, else artifacts/bin/devshell from scripts/test.sh) with no arguments in a detached
# tmux session on a private socket, with a fresh temp database so the presets are seeded. As root it first starts N
# (default 2) background envs with `devshell run PROFILE -- sh -c <busy loop>`, so the running table and sparklines have data,
# and one short env that allocates past its memory limit, so the events pane shows a violation.
# --demo runs the TUI on the test project's fake backend instead (no root; simulated envs and violations).
# The screen is captured with its colours (tmux capture-pane -e -p), converted to HTML with aha, and rendered with
# headless chromium. Needs: tmux, aha, chromium (apt-get install -y tmux aha chromium).
# Everything it starts (tmux server, envs, temp files) is stopped and removed on exit.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

demo=0
envs=2
size=120x40
out=docs/tui.png
while [ $# -gt 0 ]; do
  case "$1" in
    --demo) demo=1 ;;
    --envs) envs=$2; shift ;;
    --size) size=$2; shift ;;
    --out) out=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "tui-screenshot: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
width=${size%x*}
height=${size#*x}

for tool in tmux aha chromium; do
  command -v "$tool" >/dev/null || { echo "tui-screenshot: $tool is missing (apt-get install -y $tool)" >&2; exit 1; }
done

work=$(mktemp -d /tmp/devshell-screenshot-XXXXXX)
socket="devshell-screenshot-$$"
bin=${DEVSHELL_BIN:-$root/artifacts/bin/devshell}
bg_pids=()

cleanup() {
  tmux -L "$socket" kill-server 2>/dev/null || true
  if [ "$demo" -eq 0 ] && [ -x "$bin" ]; then
    DEVSHELL_DB="$work/devshell.db" timeout 30 "$bin" stop --all >/dev/null 2>&1 || true
  fi
  for pid in "${bg_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

if [ "$demo" -eq 1 ]; then
  dll=$root/tests/DevShell.Tui.Tests/bin/Release/net10.0/DevShell.Tui.Tests.dll
  dotnet build "$root/tests/DevShell.Tui.Tests" -c Release --nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log"; exit 1; }
  cmd="DEVSHELL_FAKE_ENVS=$envs DEVSHELL_FAKE_VIOLATION_SECONDS=4 exec dotnet '$dll' demo"
else
  [ -x "$bin" ] || { echo "tui-screenshot: $bin not found (run scripts/test.sh, set DEVSHELL_BIN, or use --demo)" >&2; exit 1; }
  export DEVSHELL_DB="$work/devshell.db"
  if [ "$(id -u)" -eq 0 ] && [ "$envs" -gt 0 ]; then
    profiles=(orders-api billing-worker inventory-svc untrusted db-client)
    for ((i = 0; i < envs; i++)); do
      p=${profiles[$((i % ${#profiles[@]}))]}
      # Some CPU so the sparklines move: short busy loops with pauses, until cleanup stops the env.
      "$bin" run "$p" -- sh -c 'while :; do i=0; while [ $i -lt 30000 ]; do i=$((i+1)); done; sleep 0.2; done' >"$work/env-$i.log" 2>&1 &
      bg_pids+=($!)
    done
    # One env that allocates past its 256M limit, so the events pane shows a violation.
    if [ -x /usr/bin/python3 ]; then
      timeout 60 "$bin" run untrusted -- /usr/bin/python3 -c 'b=bytearray(300*1024*1024)' >"$work/oom.log" 2>&1 || true
    fi
  fi
  cmd="DEVSHELL_DB='$DEVSHELL_DB' exec '$bin'"
fi

tmux -L "$socket" -f /dev/null new-session -d -s shot -x "$width" -y "$height" "TERM=xterm-256color $cmd" \; \
  set-option -g status off \; resize-window -t shot -x "$width" -y "$height"

# Wait (at most 30 s) for the TUI to draw its key bar, then a few seconds for usage samples and events.
for _ in $(seq 1 300); do
  if tmux -L "$socket" capture-pane -p -t shot 2>/dev/null | grep -q "q  Quit"; then break; fi
  sleep 0.1
done
tmux -L "$socket" capture-pane -p -t shot | grep -q "q  Quit" || {
  echo "tui-screenshot: the TUI did not come up; the screen was:" >&2
  tmux -L "$socket" capture-pane -p -t shot >&2
  exit 1
}
sleep 6

tmux -L "$socket" capture-pane -e -p -t shot >"$work/screen.ansi"
aha --black --title "DevShell" <"$work/screen.ansi" >"$work/screen.html"
# A font with box-drawing and block glyphs, sized so the terminal fills the window.
sed -i 's|</head>|<style>body{margin:8px} pre{font-family:"DejaVu Sans Mono","Liberation Mono",monospace;font-size:14px;line-height:1.2}</style></head>|' "$work/screen.html"

mkdir -p "$(dirname "$out")"
case "$out" in /*) png=$out ;; *) png=$root/$out ;; esac
px_width=$((width * 85 / 10 + 24))
px_height=$((height * 17 + 24))
timeout 60 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
  --disable-background-networking --disable-component-update --disable-sync \
  --user-data-dir="$work/chromium" --hide-scrollbars \
  --screenshot="$png" --window-size="${px_width},${px_height}" "file://$work/screen.html" >"$work/chromium.log" 2>&1 || {
  cat "$work/chromium.log" >&2
  exit 1
}
echo "wrote $out (${width}x${height} terminal, ${px_width}x${px_height} px)"
