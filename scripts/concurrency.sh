#!/usr/bin/env bash
# Concurrency: profile writers and env launchers hammer one database at the same time; then prove that no update was
# lost without a conflict error, no IP was held by two running envs at once, the database opens, and nothing leaked.
#
#   scripts/concurrency.sh [SECONDS] [WRITERS] [LAUNCHERS]     (defaults 60 8 8; as root; needs artifacts/bin built)
#
# Writers loop over: edit one of 2 shared profiles with `EDITOR=<script> devshell profile edit` (the script appends the
# writer's own marker "w.n" to the description after a short think time, so a lost update is visible as a marker of a
# successful edit missing from the final text), create an own profile (`profile add`), replace an own profile
# (`profile import --replace`), delete an own profile (`profile rm`). Launchers loop over: run a bridged env to
# completion, or start one and `devshell stop` it. Each env logs, from inside, its session, its eth0 address and the
# time it started and ended (or when it was stopped); any two envs with the same address in overlapping windows are
# a duplicate IP. Own database, run dir, cgroup parent "dsconc", bridge dsconc0 and nft table devshell_conc; all
# removed at exit. Exits 1 on any failure.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)
DURATION=${1:-60}
WRITERS=${2:-8}
LAUNCHERS=${3:-8}
for v in "$DURATION" "$WRITERS" "$LAUNCHERS"; do case "$v" in ''|*[!0-9]*) echo "concurrency: arguments are numbers: SECONDS WRITERS LAUNCHERS" >&2; exit 2 ;; esac; done
[ "$(id -u)" -eq 0 ] || { echo "concurrency: run it as root" >&2; exit 2; }
[ -x "$REPO/artifacts/bin/devshell" ] && [ -x "$REPO/artifacts/bin/devshell-stage2" ] ||
  { echo "concurrency: build first: scripts/publish.sh artifacts/bin" >&2; exit 2; }

W=/var/tmp/dsconc.$$
mkdir -p "$W/log"
cp "$REPO/artifacts/bin/devshell-stage2" "$W/devshell-stage2" # a private copy: its processes are this script's
export DEVSHELL_STAGE2=$W/devshell-stage2
export DEVSHELL_DB=$W/devshell.db
export DEVSHELL_RUN_DIR=$W/run
export DEVSHELL_CGROUP_PARENT=dsconc
export DEVSHELL_BRIDGE=dsconc0
export DEVSHELL_NFT_TABLE=devshell_conc
unset DEVSHELL_TRACE
DS=$REPO/artifacts/bin/devshell
CG=/sys/fs/cgroup
WORKERS=()

leaked_pids() {
  local d
  for d in /proc/[0-9]*; do [ "$(readlink "$d/exe" 2>/dev/null)" = "$W/devshell-stage2" ] && echo "${d#/proc/}"; done
}

cleanup() {
  set +e
  for p in "${WORKERS[@]}"; do kill -9 "$p" 2>/dev/null; done
  "$DS" stop --all >/dev/null 2>&1
  "$DS" gc >/dev/null 2>&1
  "$DS" net down --force >/dev/null 2>&1
  for p in $(leaked_pids); do kill -9 "$p" 2>/dev/null; done
  for c in $(ls "$CG"); do [ -d "$CG/$c/dsconc" ] && { find "$CG/$c/dsconc" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null; rmdir "$CG/$c/dsconc" 2>/dev/null; }; done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

leak_report() {
  local ids veths=0 id
  ids=$("$DS" ps --all --json 2>/dev/null | python3 -c 'import json,sys; print(" ".join(s["id"] for s in json.load(sys.stdin)))')
  for id in $ids; do ip link show "ds-$id" >/dev/null 2>&1 && veths=$((veths + 1)); done
  echo "veths_of_sessions $veths"
  echo "veths_on_bridge $(ip -o link show master "$DEVSHELL_BRIDGE" 2>/dev/null | grep -c ' ds-')"
  echo "netns_files $(find "$DEVSHELL_RUN_DIR/netns" -mindepth 1 2>/dev/null | wc -l)"
  echo "cgroups $(for c in $(ls "$CG"); do [ -d "$CG/$c/dsconc" ] && find "$CG/$c/dsconc" -mindepth 1 -type d; done | wc -l)"
  echo "nft_env_objects $(nft list table inet "$DEVSHELL_NFT_TABLE" 2>/dev/null | grep -c 'env-')"
  echo "netns_mounts_under_run_dir $(awk -v d="$DEVSHELL_RUN_DIR" '{ for (i = 7; i < NF; i++) if ($i == "-") fs = $(i + 1) } index($5, d) == 1 && fs == "nsfs"' /proc/self/mountinfo | wc -l)"
  echo "processes $(leaked_pids | wc -l)"
  echo "spec_and_claim_files $(find "$DEVSHELL_RUN_DIR/sessions" -name '*.spec' -o -name '*.claim' 2>/dev/null | wc -l)"
  echo "active_sessions $("$DS" ps --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))' 2>/dev/null || echo unreadable)"
}

# The editor a writer's `profile edit` runs: think 0.5-0.9 s (widens the race), append $MARK to the description.
cat >"$W/editor.sh" <<'EOF'
#!/bin/sh
sleep "0.$(( 5 + $(od -An -N1 -tu1 /dev/urandom) % 5 ))"
exec python3 - "$1" <<'PY'
import json, os, sys
p = sys.argv[1]
j = json.load(open(p))
j["description"] = (j.get("description") or "") + " " + os.environ["MARK"]
json.dump(j, open(p, "w"))
PY
EOF
# What an env runs (the host filesystem is visible inside): log start, address, then sleep; log the end.
cat >"$W/envcmd.sh" <<'EOF'
#!/bin/sh
log=$1; secs=$2
addr=$(ip -4 -o addr show scope global | awk '{print $4}' | head -1)
echo "start $(date +%s%N) $DEVSHELL_SESSION ${addr%/*}" >>"$log"
sleep "$secs"
echo "end $(date +%s%N) $DEVSHELL_SESSION" >>"$log"
EOF
chmod +x "$W/editor.sh" "$W/envcmd.sh"

echo '{"name":"conc-bridge","shell":"/bin/sh","network":{"mode":"bridge"},"limits":{"memory":"256M","pids":64}}' | "$DS" profile add - >/dev/null || exit 1
for s in 0 1; do
  echo '{"name":"shared-'$s'","shell":"/bin/sh","network":{"mode":"none"},"description":"base"}' | "$DS" profile add - >/dev/null || exit 1
done
END=$((SECONDS + DURATION))

writer() {
  local w=$1 n=0 r p rc name victim own=() desc
  local log=$W/log/writer.$w
  while [ $SECONDS -lt $END ]; do
    n=$((n + 1)); r=$((RANDOM % 10))
    if [ $r -lt 6 ] || [ ${#own[@]} -eq 0 -a $r -ge 8 ]; then
      p=shared-$((RANDOM % 2))
      MARK="$w.$n" EDITOR="$W/editor.sh" VISUAL='' timeout 120 "$DS" profile edit "$p" </dev/null >/dev/null 2>"$log.err"
      rc=$?
      case $rc in
        0) echo "committed $p $w.$n" >>"$log" ;;
        4) echo "conflict $p $w.$n" >>"$log" ;;
        *) echo "error edit $p rc=$rc $(tr '\n' ' ' <"$log.err" | head -c 300)" >>"$log" ;;
      esac
    elif [ $r -lt 8 ]; then
      name=cw$w-$n
      echo '{"name":"'$name'","shell":"/bin/sh","network":{"mode":"none"},"description":"v0"}' |
        timeout 120 "$DS" profile add - >/dev/null 2>"$log.err"
      rc=$?
      if [ $rc -eq 0 ]; then own+=("$name"); echo "own $name v0" >>"$log"; else echo "error add $name rc=$rc $(head -c 300 "$log.err")" >>"$log"; fi
    else
      victim=${own[$((RANDOM % ${#own[@]}))]}
      if [ $((RANDOM % 2)) -eq 0 ]; then
        timeout 120 "$DS" profile rm "$victim" >/dev/null 2>"$log.err"
        rc=$?
        if [ $rc -eq 0 ]; then
          echo "gone $victim" >>"$log"
          local keep=(); for p in "${own[@]}"; do [ "$p" != "$victim" ] && keep+=("$p"); done; own=("${keep[@]}")
        else echo "error rm $victim rc=$rc $(head -c 300 "$log.err")" >>"$log"; fi
      else
        desc="v$n"
        echo '{"name":"'$victim'","shell":"/bin/sh","network":{"mode":"none"},"description":"'$desc'"}' |
          timeout 120 "$DS" profile import --replace - >/dev/null 2>"$log.err"
        rc=$?
        if [ $rc -eq 0 ]; then echo "own $victim $desc" >>"$log"; else echo "error replace $victim rc=$rc $(head -c 300 "$log.err")" >>"$log"; fi
      fi
    fi
  done
  rm -f "$log.err"
}

launcher() {
  local l=$1 n=0 rc pid id t
  local log=$W/log/launcher.$l envlog=$W/log/env.$l
  while [ $SECONDS -lt $END ]; do
    n=$((n + 1))
    if [ $((RANDOM % 2)) -eq 0 ]; then
      timeout 120 "$DS" run conc-bridge -- "$W/envcmd.sh" "$envlog" 1 >/dev/null 2>"$log.err"
      rc=$?
      if [ $rc -eq 0 ]; then echo "ran $n" >>"$log"; else echo "error run rc=$rc $(tr '\n' ' ' <"$log.err" | head -c 300)" >>"$log"; fi
    else
      local before
      before=$(cat "$envlog" 2>/dev/null | grep -c '^start')
      timeout 120 "$DS" run conc-bridge -- "$W/envcmd.sh" "$envlog" 60 >/dev/null 2>"$log.err" &
      pid=$!
      id=""
      for t in $(seq 300); do # <= 30 s until the env logs its start
        [ "$(cat "$envlog" 2>/dev/null | grep -c '^start')" -gt "$before" ] && { id=$(grep '^start' "$envlog" | tail -1 | cut -d' ' -f3); break; }
        kill -0 $pid 2>/dev/null || break
        sleep 0.1
      done
      if [ -z "$id" ]; then
        wait $pid; echo "error start rc=$? $(tr '\n' ' ' <"$log.err" | head -c 300)" >>"$log"; continue
      fi
      sleep "0.$((RANDOM % 10))"
      echo "stop $(date +%s%N) $id" >>"$envlog"
      timeout 120 "$DS" stop "$id" >/dev/null 2>"$log.err2"
      rc=$?
      wait $pid
      local runrc=$?
      if [ $rc -eq 0 ] && [ $runrc -eq 137 ]; then echo "stopped $id" >>"$log"
      else echo "error stop $id rc=$rc run=$runrc $(tr '\n' ' ' <"$log.err2" | head -c 300)" >>"$log"; fi
    fi
  done
  rm -f "$log.err" "$log.err2"
}

started=$SECONDS
for w in $(seq "$WRITERS"); do writer "$w" & WORKERS+=($!); done
for l in $(seq "$LAUNCHERS"); do launcher "$l" & WORKERS+=($!); done
echo "concurrency: $WRITERS writers and $LAUNCHERS launchers for $DURATION s"
# Workers stop starting new work at END; give the last operations up to 150 s more, then kill what is left.
for _ in $(seq $(( (DURATION + 150) * 10 ))); do
  alive=0; for p in "${WORKERS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  [ $alive -eq 0 ] && break; sleep 0.1
done
hung=$alive
for p in "${WORKERS[@]}"; do kill -9 "$p" 2>/dev/null; done
WORKERS=()
elapsed=$((SECONDS - started))

"$DS" gc >/dev/null 2>&1
report=$(leak_report)
# The bridge, the nft table and the netns directory's own mount stay between sessions by design; `net down` must
# remove them, after which nothing at all may be mounted under the run dir.
"$DS" net down --force >/dev/null 2>&1
report+=$'\n'"mounts_under_run_dir_after_net_down $(awk -v d="$DEVSHELL_RUN_DIR" 'index($5, d) == 1' /proc/self/mountinfo | wc -l)"
db_ok=yes
"$DS" profile export >"$W/final.json" 2>"$W/export.err" || db_ok="no: $(head -c 300 "$W/export.err")"
"$DS" ps --all --json >/dev/null 2>&1 || db_ok="no: ps failed"

python3 - "$W" "$db_ok" <<'PY' >"$W/verdict.txt"
import glob, json, os, sys
W, db_ok = sys.argv[1], sys.argv[2]
fail = []
committed, conflicts, errors = {}, 0, []
own = {}  # name -> expected description (None = deleted)
for path in glob.glob(f"{W}/log/writer.*"):
    for line in open(path):
        f = line.split()
        if not f: continue
        if f[0] == "committed": committed.setdefault(f[1], set()).add(f[2])
        elif f[0] == "conflict": conflicts += 1
        elif f[0] == "own": own[f[1]] = f[2]
        elif f[0] == "gone": own[f[1]] = None
        elif f[0] == "error": errors.append(line.strip())
final = {}
if db_ok == "yes":
    data = json.load(open(f"{W}/final.json"))
    final = {p["name"]: p for p in (data if isinstance(data, list) else [data])}
lost, phantom = [], []
all_committed_markers = set().union(*committed.values()) if committed else set()
for s in range(2):
    name = f"shared-{s}"
    words = set((final.get(name, {}).get("description") or "").split()) - {"base"}
    lost += [f"{name}:{m}" for m in sorted(committed.get(name, set()) - words)]
    phantom += [f"{name}:{m}" for m in sorted(words - committed.get(name, set()))]
wrong_own = []
for name, desc in own.items():
    got = final.get(name)
    if desc is None and got is not None: wrong_own.append(f"{name} should be deleted")
    elif desc is not None and (got is None or got.get("description") != desc): wrong_own.append(f"{name}: expected {desc!r}, found {None if got is None else got.get('description')!r}")
stray = [n for n in final if n.startswith("cw") and n not in own]

# Env windows: start..end, or start..stop for a stopped env; same address in overlapping windows = duplicate IP.
win = {}
for path in glob.glob(f"{W}/log/env.*"):
    for line in open(path):
        f = line.split()
        if len(f) >= 3 and f[0] == "start": win.setdefault(f[2], {})["start"], win[f[2]]["ip"] = int(f[1]), (f[3] if len(f) > 3 else "")
        elif len(f) >= 3 and f[0] in ("end", "stop"):
            w = win.setdefault(f[2], {})
            w["end"] = min(w.get("end", 1 << 62), int(f[1]))
noip = [s for s, w in win.items() if not w.get("ip")]
ws = sorted((w["start"], w["end"], w["ip"], s) for s, w in win.items() if "start" in w and "end" in w and w.get("ip"))
dups = []
for i, (s1, e1, ip1, id1) in enumerate(ws):
    for s2, e2, ip2, id2 in ws[i + 1:]:
        if s2 >= e1: break
        if ip1 == ip2: dups.append(f"{ip1}: {id1} and {id2}")
max_conc = 0
ev = sorted([(w[0], 1) for w in ws] + [(w[1], -1) for w in ws])
c = 0
for _, d in ev:
    c += d; max_conc = max(max_conc, c)
launch_ok = launch_err = 0
for path in glob.glob(f"{W}/log/launcher.*"):
    for line in open(path):
        if line.startswith("error"): launch_err += 1; errors.append(line.strip())
        else: launch_ok += 1
print(f"profile edits committed: {len(all_committed_markers)}, refused with a conflict: {conflicts}")
print(f"own profiles tracked: {len(own)} ({sum(1 for d in own.values() if d is None)} deleted)")
print(f"env launches ok: {launch_ok}, failed: {launch_err}; env windows checked: {len(ws)}, most at once: {max_conc}")
for label, items in (("lost updates (committed marker missing)", lost), ("phantom writes (marker without a committed edit)", phantom),
                     ("own profiles wrong", wrong_own), ("stray profiles", stray), ("duplicate IPs", dups), ("envs without an address", noip),
                     ("operation errors", errors)):
    print(f"{label}: {len(items)}")
    for x in items[:10]: print(f"    {x}")
    if items: fail.append(label)
if len(ws) == 0: fail.append("no env ran"); print("no env window was recorded")
if conflicts == 0: print("note: no conflict happened, so concurrent edits were not exercised")
print("FAIL: " + ", ".join(fail) if fail else "PASS")
PY

echo
echo "concurrency: $WRITERS writers + $LAUNCHERS launchers, $DURATION s of work, $elapsed s in all"
sed 's/^/  /' "$W/verdict.txt"
echo "  database opens: $db_ok; workers still running at the deadline: $hung"
echo "  left behind (all must be 0):"
sed 's/^/    /' <<<"$report"
leaks=$(awk '$2 != "0"' <<<"$report")
if [ -n "$leaks" ] || [ "$db_ok" != yes ] || [ "$hung" -ne 0 ] || ! tail -1 "$W/verdict.txt" | grep -q '^PASS'; then
  echo "concurrency: FAILED"
  exit 1
fi
echo "concurrency: OK"
