#!/usr/bin/env bash
# Chaos: kill -9 the devshell front at random moments of a launch, run `devshell gc`, and prove nothing leaks.
#
#   scripts/chaos.sh [CYCLES]        (default 1000; as root; needs artifacts/bin built, e.g. by scripts/test.sh)
#
# Each cycle launches an env (bridged with limits, or network none) and SIGKILLs the `devshell run` process at a
# random moment: 0-300 ms after the process started (1 in 4; the .NET front is often still starting), 0-150 ms after
# its session claim appeared, i.e. inside the setup phases (store, cgroups, netns, veth, nft, names, spec, spawn,
# stage two; 2 in 4), or once the env is running (1 in 4); then it runs `devshell gc`. At the end it counts, for this script's own database, run dir, cgroup parent,
# bridge and nft table: ds-* veths, netns files, cgroups, nft env chains and map elements, mounts under the run dir,
# processes of its stage-two copy or payload, active sessions; it checks the database opens and that every profile
# exports exactly as before. Prints a summary; exits 1 on any leak.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
CYCLES=${1:-1000}
case "$CYCLES" in ''|*[!0-9]*) echo "chaos: CYCLES must be a number" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "chaos: run it as root" >&2; exit 2; }
[ -x "$REPO/artifacts/bin/devshell" ] && [ -x "$REPO/artifacts/bin/devshell-stage2" ] ||
  { echo "chaos: build first: scripts/publish.sh artifacts/bin" >&2; exit 2; }

W=/var/tmp/dschaos.$$
mkdir -p "$W"
# A private copy of stage two: any process still running it at the end is a leak of this script, nobody else's.
cp "$REPO/artifacts/bin/devshell-stage2" "$W/devshell-stage2"
export DEVSHELL_STAGE2=$W/devshell-stage2
export DEVSHELL_DB=$W/devshell.db
export DEVSHELL_RUN_DIR=$W/run
export DEVSHELL_CGROUP_PARENT=dschaos
export DEVSHELL_BRIDGE=dschaos0
export DEVSHELL_NFT_TABLE=devshell_chaos
unset DEVSHELL_TRACE
DS=$REPO/artifacts/bin/devshell
MARK="7777.$$" # the payload is `sleep $MARK`: unique to this run, so a leaked payload is recognisable
CG=/sys/fs/cgroup

cleanup() {
  set +e
  "$DS" stop --all >/dev/null 2>&1
  "$DS" gc >/dev/null 2>&1
  "$DS" net down --force >/dev/null 2>&1
  for p in $(leaked_pids); do kill -9 "$p" 2>/dev/null; done
  for c in $(ls "$CG"); do [ -d "$CG/$c/dschaos" ] && { find "$CG/$c/dschaos" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null; rmdir "$CG/$c/dschaos" 2>/dev/null; }; done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Processes this run left: its stage-two copy (unshare's child), or the payload with its unique argument.
leaked_pids() {
  local d p
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$(readlink "$d/exe" 2>/dev/null)" = "$W/devshell-stage2" ] && { echo "$p"; continue; }
    { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -qx "sleep $MARK " && echo "$p"
  done
}

# Prints "name count" for every kind of object that must be gone; used at the end (and by concurrency.sh's twin).
leak_report() {
  local ids veths=0 id
  ids=$("$DS" ps --all --json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
  for id in $ids; do ip link show "ds-$id" >/dev/null 2>&1 && veths=$((veths + 1)); done
  echo "veths_of_sessions $veths"
  echo "veths_on_bridge $(ip -o link show master "$DEVSHELL_BRIDGE" 2>/dev/null | grep -c ' ds-')"
  echo "netns_files $(find "$DEVSHELL_RUN_DIR/netns" -mindepth 1 2>/dev/null | wc -l)"
  echo "cgroups $(for c in $(ls "$CG"); do [ -d "$CG/$c/dschaos" ] && find "$CG/$c/dschaos" -mindepth 1 -type d; done | wc -l)"
  echo "nft_env_objects $(nft list table inet "$DEVSHELL_NFT_TABLE" 2>/dev/null | grep -c 'env-')"
  echo "netns_mounts_under_run_dir $(awk -v d="$DEVSHELL_RUN_DIR" '{ for (i = 7; i < NF; i++) if ($i == "-") fs = $(i + 1) } index($5, d) == 1 && fs == "nsfs"' /proc/self/mountinfo | wc -l)"
  echo "processes $(leaked_pids | wc -l)"
  echo "spec_and_claim_files $(find "$DEVSHELL_RUN_DIR/sessions" -name '*.spec' -o -name '*.claim' 2>/dev/null | wc -l)"
  echo "active_sessions $("$DS" ps --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo unreadable)"
}

echo '{"name":"chaos-bridge","shell":"/bin/sh","network":{"mode":"bridge"},"limits":{"memory":"256M","cpu":0.5,"pids":64}}' | "$DS" profile add - >/dev/null || exit 1
echo '{"name":"chaos-none","shell":"/bin/sh","network":{"mode":"none"}}' | "$DS" profile add - >/dev/null || exit 1
"$DS" profile export >"$W/before.json" || { echo "chaos: profile export failed" >&2; exit 1; }

killed_early=0; killed_setup=0; killed_running=0; exited_first=0; gc_ended=0; gc_removed=0; gc_failed=0
started=$SECONDS
for i in $(seq "$CYCLES"); do
  if [ $((RANDOM % 2)) -eq 0 ]; then prof=chaos-bridge; else prof=chaos-none; fi
  "$DS" run "$prof" -- sleep "$MARK" >/dev/null 2>&1 &
  pid=$!
  mode=$((RANDOM % 4))
  if [ $mode -eq 0 ]; then
    sleep "0.$(printf '%03d' $((RANDOM % 301)))" # 0-300 ms after the process started
  else
    # wait until the session is claimed (its setup has begun) or running (bounded: 20 s)
    want='\.claim$'; [ $mode -eq 3 ] && want=running
    for _ in $(seq 400); do
      if [ "$want" = running ]; then grep -qs '^init ' "$DEVSHELL_RUN_DIR"/sessions/*.claim && break
      else ls "$DEVSHELL_RUN_DIR/sessions" 2>/dev/null | grep -q '\.claim$' && break; fi
      kill -0 $pid 2>/dev/null || break
      sleep 0.01
    done
    # then 0-150 ms into the setup phases (store, cgroups, netns, veth, nft, names, spec, spawn, stage two)
    [ $mode -ne 3 ] && sleep "0.$(printf '%03d' $((RANDOM % 151)))"
  fi
  if grep -qs '^init ' "$DEVSHELL_RUN_DIR"/sessions/*.claim; then state=running
  elif ls "$DEVSHELL_RUN_DIR/sessions" 2>/dev/null | grep -q '\.claim$'; then state=setup
  else state=early; fi
  exec 3>&2 2>/dev/null # bash would report each SIGKILLed job ("Killed") on stderr
  if kill -9 $pid; then
    eval "killed_$state=\$((killed_$state + 1))"
  else
    exited_first=$((exited_first + 1))
  fi
  wait $pid
  exec 2>&3 3>&-
  out=$(timeout 60 "$DS" gc 2>&1)
  rc=$?
  if [ $rc -ne 0 ]; then
    gc_failed=$((gc_failed + 1))
    echo "chaos: cycle $i: devshell gc exited $rc: $out" >&2
  fi
  gc_ended=$((gc_ended + $(grep -c '^ended session' <<<"$out")))
  gc_removed=$((gc_removed + $(grep -c '^removed' <<<"$out")))
  if [ $((i % 50)) -eq 0 ]; then echo "chaos: $i/$CYCLES cycles ($((SECONDS - started)) s)"; fi
done

"$DS" gc >/dev/null 2>&1 # one more pass: a second gc must find nothing new to leave behind
report=$(leak_report)
# The bridge, the nft table and the netns directory's own mount stay between sessions by design; `net down` must
# remove them, after which nothing at all may be mounted under the run dir.
"$DS" net down --force >/dev/null 2>&1
report+=$'\n'"mounts_under_run_dir_after_net_down $(awk -v d="$DEVSHELL_RUN_DIR" 'index($5, d) == 1' /proc/self/mountinfo | wc -l)"
db_ok=yes
"$DS" profile list >/dev/null 2>"$W/list.err" || db_ok="no: $(cat "$W/list.err")"
"$DS" profile export >"$W/after.json" 2>/dev/null || db_ok="no: export failed"
profiles_ok=yes
cmp -s "$W/before.json" "$W/after.json" || profiles_ok="no: $(diff "$W/before.json" "$W/after.json" | head -20)"

echo
echo "chaos: $CYCLES cycles in $((SECONDS - started)) s"
echo "  kill -9 before the session was claimed: $killed_early, during setup: $killed_setup, while running: $killed_running; exited before the kill: $exited_first"
echo "  gc: ended $gc_ended session(s), removed $gc_removed object(s), failed $gc_failed time(s)"
echo "  database opens: $db_ok; profiles intact: $profiles_ok"
echo "  left behind (all must be 0):"
sed 's/^/    /' <<<"$report"
leaks=$(awk '$2 != "0"' <<<"$report")
if [ -n "$leaks" ] || [ "$db_ok" != yes ] || [ "$profiles_ok" != yes ] || [ $gc_failed -ne 0 ]; then
  echo "chaos: FAILED"
  leaked=$(leaked_pids)
  [ -n "$leaked" ] && ps -o pid,ppid,stat,etime,args -p "$(echo $leaked | tr ' ' ',')"
  exit 1
fi
echo "chaos: OK, nothing leaked"
