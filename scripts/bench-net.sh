#!/usr/bin/env bash
# iperf3 between two bridged DevShell envs vs two bare network namespaces on a veth pair (as root):
#
#   scripts/bench-net.sh [--runs N] [--time S] [--keep DIR] [--bare-big-tcp]
#
# Env side: a server env (`devshell run ipsrv -- iperf3 -s -1`, a fresh one per run) and a client env reaching it
# by name (`iperf3 -c ipsrv.devshell -t S`), both network.mode=bridge with the default egress policy. Bare side:
# two netns joined by one veth pair, the same iperf3 commands. Runs alternate env/bare so a change in host load
# hits both sides alike. --bare-big-tcp gives the bare pair the same BIG TCP size DevShell gives env veths
# (gso/gro_ipv4_max_size 196608, set over rtnetlink since iproute2 6.1 cannot), for a like-for-like comparison of
# the path itself; without it the baseline is a default veth pair, as in bench.sh. Prints one line:
#
#   iperf_env_gbps=<median> iperf_bare_gbps=<median> ratio=<env/bare> runs=N env=<each run> bare=<each run>
#
# The devshell binary: $DEVSHELL_BIN, else artifacts/bin/devshell (stage two next to it or $DEVSHELL_STAGE2).
# Everything it makes has its own name and is removed on exit, by name or pid: database and run dir under
# /var/tmp/dsbnet.PID, cgroup parent "dsbnet", bridge dsbnet0 on subnet 10.236.0.0/24 (override with
# DEVSHELL_BRIDGE / DEVSHELL_NFT_TABLE / DEVSHELL_SUBNET), nft table inet devshell_bnet, bare namespaces
# dsbnip-a/dsbnip-b on 10.237.0.0/24. It never touches devshell0 or the table inet devshell. Traffic stays between
# namespaces it creates. Every wait is bounded.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

RUNS=3
SECS=5
KEEP=""
BARE_GSO=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --time) SECS=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    --bare-big-tcp) BARE_GSO=196608; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "bench-net: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench-net: run it as root (it creates namespaces, a bridge and an nft table)" >&2; exit 2; }
for t in iperf3 ip nft python3 timeout; do
  command -v "$t" >/dev/null || { echo "bench-net: $t is missing (apt-get install iperf3 iproute2 nftables python3 coreutils)" >&2; exit 1; }
done

DS=${DEVSHELL_BIN:-$REPO/artifacts/bin/devshell}
[ -x "$DS" ] || { echo "bench-net: $DS is not built (scripts/test.sh or dotnet publish src/DevShell -o artifacts/bin)" >&2; exit 1; }
W=/var/tmp/dsbnet.$$
RES=$W/res
mkdir -p "$RES"
export DEVSHELL_DB=$W/devshell.db
export DEVSHELL_RUN_DIR=$W/run
export DEVSHELL_CGROUP_PARENT=dsbnet
export DEVSHELL_BRIDGE=${DEVSHELL_BRIDGE:-dsbnet0}
export DEVSHELL_NFT_TABLE=${DEVSHELL_NFT_TABLE:-devshell_bnet}
export DEVSHELL_SUBNET=${DEVSHELL_SUBNET:-10.236.0.0/24}
unset DEVSHELL_TRACE
[ "$DEVSHELL_BRIDGE" != devshell0 ] && [ "$DEVSHELL_NFT_TABLE" != devshell ] ||
  { echo "bench-net: refusing to use the production bridge/table (DEVSHELL_BRIDGE=$DEVSHELL_BRIDGE DEVSHELL_NFT_TABLE=$DEVSHELL_NFT_TABLE)" >&2; exit 2; }
NS_A=dsbnip-a
NS_B=dsbnip-b
BG_PIDS=()
# DevShell turns net.ipv4.conf.all.send_redirects off when that is neutral (see BridgeNetwork); put it back after.
REDIRECTS_BEFORE=$(cat /proc/sys/net/ipv4/conf/all/send_redirects 2>/dev/null)

log() { printf '== %s\n' "$*" >&2; }
ds() { "$DS" "$@"; }

cleanup() {
  set +e
  ds stop --all >/dev/null 2>&1
  for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
  sleep 0.2
  ds gc >/dev/null 2>&1
  ds net down --force >/dev/null 2>&1
  for ns in $NS_A $NS_B; do ip netns pids "$ns" 2>/dev/null | while read -r p; do kill -9 "$p" 2>/dev/null; done; done
  ip netns del $NS_A 2>/dev/null
  ip netns del $NS_B 2>/dev/null
  ip link del "$DEVSHELL_BRIDGE" 2>/dev/null
  nft delete table inet "$DEVSHELL_NFT_TABLE" 2>/dev/null
  for c in /sys/fs/cgroup/*/dsbnet /sys/fs/cgroup/dsbnet; do
    [ -d "$c" ] || continue
    find "$c" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
    rmdir "$c" 2>/dev/null
  done
  [ "$REDIRECTS_BEFORE" = 1 ] && echo 1 >/proc/sys/net/ipv4/conf/all/send_redirects
  [ -n "$KEEP" ] && mkdir -p "$KEEP" && cp -a "$RES/." "$KEEP/"
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

add_profile() { echo "$1" | ds profile add - >/dev/null || { echo "bench-net: cannot add profile: $1" >&2; exit 1; }; }
add_profile '{"name":"ipsrv","shell":"/bin/sh","network":{"mode":"bridge"}}'
add_profile '{"name":"ipcli","shell":"/bin/sh","network":{"mode":"bridge"}}'

ip netns add $NS_A && ip netns add $NS_B &&
  ip link add dsbnipa netns $NS_A type veth peer name dsbnipb netns $NS_B &&
  ip -n $NS_A addr add 10.237.0.1/24 dev dsbnipa && ip -n $NS_B addr add 10.237.0.2/24 dev dsbnipb &&
  ip -n $NS_A link set dsbnipa up && ip -n $NS_B link set dsbnipb up &&
  ip -n $NS_A link set lo up && ip -n $NS_B link set lo up || { echo "bench-net: cannot build the bare veth pair" >&2; exit 1; }

# set_gso NETNS IFNAME SIZE: IFLA_GSO_IPV4_MAX_SIZE (63) and IFLA_GRO_IPV4_MAX_SIZE (64), Linux 6.3+.
set_gso() {
  ip netns exec "$1" python3 - "$2" "$3" <<'PYEOF'
import os, socket, struct, sys
name, size = sys.argv[1], int(sys.argv[2])
body = struct.pack("BxHiII", 0, 0, socket.if_nametoindex(name), 0, 0) + struct.pack("HHI", 8, 63, size) + struct.pack("HHI", 8, 64, size)
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)
s.send(struct.pack("IHHII", 16 + len(body), 16, 0x1 | 0x4, 1, 0) + body)
err = struct.unpack("i", s.recv(4096)[16:20])[0]
sys.exit(f"setting gso_ipv4_max_size on {name}: {os.strerror(-err)}" if err else 0)
PYEOF
}
if [ -n "$BARE_GSO" ]; then
  set_gso $NS_A dsbnipa "$BARE_GSO" && set_gso $NS_B dsbnipb "$BARE_GSO" || { echo "bench-net: cannot give the bare pair BIG TCP" >&2; exit 1; }
fi

# The client tries to connect for up to ~10 s: the server env may still be starting.
CLIENT="for t in \$(seq 30); do out=\$(timeout $((SECS + 15)) iperf3 -c ipsrv.devshell -t $SECS -J --connect-timeout 1000 2>&1) && { echo \"\$out\"; exit 0; }; sleep 0.3; done; echo \"\$out\" >&2; exit 1"

env_run() { # env_run I
  "$DS" run ipsrv -- iperf3 -s -1 >"$RES/srv-$1.log" 2>&1 &
  local srv=$!
  BG_PIDS+=($srv)
  # Launch the client once the server env runs (its session claim names its init), as bench.sh does.
  for _ in $(seq 300); do grep -qs '^init ' "$DEVSHELL_RUN_DIR"/sessions/*.claim && break; sleep 0.1; done
  ds run ipcli -- sh -c "$CLIENT" >"$RES/env-$1.json" 2>"$RES/env-$1.err" || log "run $1: iperf3 between envs failed: $(head -c 300 "$RES/env-$1.err")"
  for _ in $(seq 100); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
  kill -0 $srv 2>/dev/null && ds stop --all >/dev/null 2>&1
  wait $srv 2>/dev/null
}

bare_run() { # bare_run I
  ip netns exec $NS_A iperf3 -s -1 >/dev/null 2>&1 &
  local srv=$!
  BG_PIDS+=($srv)
  for _ in $(seq 30); do
    timeout $((SECS + 15)) ip netns exec $NS_B iperf3 -c 10.237.0.1 -t "$SECS" -J --connect-timeout 1000 >"$RES/bare-$1.json" 2>/dev/null && break
    sleep 0.2
  done
  for _ in $(seq 50); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
  kill $srv 2>/dev/null
  wait $srv 2>/dev/null
}

log "iperf3: $RUNS x ${SECS} s, alternating bridged envs ($DEVSHELL_BRIDGE, $DEVSHELL_SUBNET) and bare veth${BARE_GSO:+ with BIG TCP $BARE_GSO} (load $(cut -d' ' -f1 /proc/loadavg))"
for i in $(seq "$RUNS"); do
  env_run "$i"
  bare_run "$i"
done

python3 - "$RES" "$RUNS" "${BARE_GSO:-default}" <<'PYEOF'
import json, os, statistics, sys
res, runs, bare_gso = sys.argv[1], int(sys.argv[2]), sys.argv[3]
def gbps(kind):
    vals = []
    for i in range(1, runs + 1):
        try:
            vals.append(json.load(open(os.path.join(res, f"{kind}-{i}.json")))["end"]["sum_received"]["bits_per_second"] / 1e9)
        except (ValueError, KeyError, OSError):
            vals.append(None)
    return vals
env, bare = gbps("env"), gbps("bare")
ok_env = [v for v in env if v is not None]
ok_bare = [v for v in bare if v is not None]
fmt = lambda vs: ",".join("fail" if v is None else f"{v:.2f}" for v in vs)
if not ok_env or not ok_bare:
    print(f"iperf_env_gbps=n/a iperf_bare_gbps=n/a ratio=n/a runs={runs} env={fmt(env)} bare={fmt(bare)}")
    sys.exit(1)
me, mb = statistics.median(ok_env), statistics.median(ok_bare)
pairs = [e / b for e, b in zip(env, bare) if e is not None and b is not None]
print(f"iperf_env_gbps={me:.2f} iperf_bare_gbps={mb:.2f} ratio={me / mb:.3f} runs={runs} env={fmt(env)} bare={fmt(bare)} "
      f"pair_ratios={','.join(f'{r:.3f}' for r in pairs)} bare_gso={bare_gso} load={open('/proc/loadavg').read().split()[0]}")
PYEOF
