#!/usr/bin/env bash
# DevShell benchmarks, in one command (as root):
#
#   scripts/bench.sh [--runs N] [--scale N] [--no-install] [--no-build] [--no-doc]
#   scripts/bench.sh --report artifacts/bench/DATE      (only rewrite the table and docs from kept raw results)
#
# Installs what it compares against from Debian (hyperfine, bubblewrap, podman, runc, iperf3, busybox-static; never
# docker), publishes devshell into artifacts/bin, measures, prints a table and rewrites docs/benchmarks.md.
#
# Everything it makes has its own name (database and run dir under /var/tmp/dsbench.PID, cgroup parent "dsbench",
# bridge dsbench0, nft table inet devshell_bench; the scripted floors use dsbfloor*/dsbf*/dsbg*, iperf3's bare
# namespaces dsbip-*, tmux socket "dsbench") and is removed on exit, by name or pid. Every wait is bounded.
# Network traffic stays between namespaces this script creates.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

RUNS=20
SCALE=200
INSTALL=1
BUILD=1
DOC=1
REPORT_ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --scale) SCALE=$2; shift 2 ;;
    --no-install) INSTALL=0; shift ;;
    --no-build) BUILD=0; shift ;;
    --no-doc) DOC=0; shift ;;
    --report) REPORT_ONLY=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "bench: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
# The report: a table on stdout and, when given a path, docs/benchmarks.md, from the raw results in $1.
report() {
python3 - "$@" <<'PYEOF'
# Turns the raw measurements in RES into a table (stdout) and, when given a path, docs/benchmarks.md.
import glob, json, os, statistics, sys

res = sys.argv[1]
doc = sys.argv[2] if len(sys.argv) > 2 else None
kv = {}
for line in open(os.path.join(res, "kv.txt")):
    k, _, v = line.rstrip("\n").partition(" ")
    kv[k] = v

def num(k, default=None):
    try:
        return float(kv[k])
    except (KeyError, ValueError):
        return default

def med(xs):
    return statistics.median(xs) if xs else None

def hf(name):
    """{command name: (median ms, stddev ms, runs, mean user+system CPU ms)} from a hyperfine JSON export."""
    path = os.path.join(res, f"hf-{name}.json")
    if not os.path.exists(path):
        return {}
    out = {}
    for r in json.load(open(path))["results"]:
        t = [x * 1000 for x in r["times"]]
        out[r["command"]] = (statistics.median(t), statistics.pstdev(t), len(t), (r.get("user", 0) + r.get("system", 0)) * 1000)
    return out

def f(ms, unit="ms", nd=1):
    return "n/a" if ms is None else f"{ms:.{nd}f} {unit}".strip()

def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b

def fr(x):
    return "n/a" if x is None else f"{x:.2f}x"

L1, L2, L3, VER = hf("l1"), hf("l2"), hf("l3"), hf("version")
g = lambda d, k: d.get(k, (None, None, 0, None))[0]
cpu = lambda d, k: d.get(k, (None, None, 0, None))[3]

# Per-phase breakdown
phases = {}
for line in open(os.path.join(res, "trace.txt")) if os.path.exists(os.path.join(res, "trace.txt")) else []:
    parts = line.split()
    if len(parts) >= 4:
        phases.setdefault(parts[2], []).append(float(parts[3]))
order = ["cli", "engine", "profile", "store", "preflight", "reconcile", "store-open", "record", "ipam", "netns", "veth", "nft", "names", "network", "cgroup", "home", "spawn", "spec", "stage2", "run", "sample", "exit", "teardown", "ended"]
phase_med = {p: med(v) for p, v in phases.items()}
inside = None
if phases:
    runs = {}
    for line in open(os.path.join(res, "trace.txt")):
        parts = line.split()
        # "main" (time since Main) overlaps the phases; "process"/"runtime-startup" came from older builds.
        if len(parts) >= 4 and parts[2] not in ("process", "runtime-startup", "main", "store-units", "gcs", "allocated-kb"):
            runs.setdefault(parts[0], 0.0)
            runs[parts[0]] += float(parts[3])
    inside = med(list(runs.values()))
phases_l1 = {}
for line in open(os.path.join(res, "trace-l1.txt")) if os.path.exists(os.path.join(res, "trace-l1.txt")) else []:
    parts = line.split()
    if len(parts) >= 4:
        phases_l1.setdefault(parts[2], []).append(float(parts[3]))
phase_med_l1 = {p: med(v) for p, v in phases_l1.items()}
# The trace's own "process" line comes from Process.StartTime, whose boot time has whole-second resolution: not used.
# Instead: L3's hyperfine median minus the median sum of the traced phases.
front_other = None if inside is None or g(L3, "devshell") is None else g(L3, "devshell") - inside

tti = [float(x) for x in open(os.path.join(res, "tti.txt"))] if os.path.exists(os.path.join(res, "tti.txt")) else []

mem = {}
for line in open(os.path.join(res, "mem.txt")) if os.path.exists(os.path.join(res, "mem.txt")) else []:
    p = line.split()
    mem.setdefault(p[0], []).append([int(x) for x in p[1:]])

def mem_summary(label):
    rows = mem.get(label, [])
    if not rows:
        return None
    avg = lambda i: sum(r[i] for r in rows) / len(rows) / 1024
    return {"n": len(rows), "front_rss": avg(0), "front_pss": avg(1), "unshare_rss": avg(2), "unshare_pss": avg(3),
            "init_rss": avg(4), "init_pss": avg(5)}

m20 = mem_summary("idle20")
scale_label = next((k for k in mem if k.startswith("scale")), None)
mscale = mem_summary(scale_label) if scale_label else None

launch = {}
for line in open(os.path.join(res, "launch.txt")) if os.path.exists(os.path.join(res, "launch.txt")) else []:
    i, ms = line.split()
    launch[int(i)] = float(ms)
n_launched = max(launch) if launch else 0
first = launch.get(1)
l100 = launch.get(100)
last = launch.get(n_launched)
first10 = med([launch[i] for i in range(1, min(11, n_launched + 1))])
last10 = med([launch[i] for i in range(max(1, n_launched - 9), n_launched + 1)])
used_before, used_after = num("free_used_mb_before"), num("free_used_mb_after")
per_env_mb = None if used_before is None or used_after is None or n_launched == 0 else (used_after - used_before) / n_launched

clk = num("clk_tck", 100.0)
top_cpu = None if num("top_ticks_30s") is None else num("top_ticks_30s") / clk / (num("top_window_ms") / 1000) * 100
fronts_cpu = None if num("fronts_ticks_30s") is None else num("fronts_ticks_30s") / clk / (num("top_window_ms") / 1000) * 100

def iperf(kind):
    vals = []
    for path in sorted(glob.glob(os.path.join(res, f"iperf-{kind}-*.json"))):
        try:
            j = json.load(open(path))
            vals.append(j["end"]["sum_received"]["bits_per_second"] / 1e9)
        except (ValueError, KeyError, OSError):
            pass
    return med(vals), len(vals)

ip_ds, n_ip_ds = iperf("ds")
ip_bare, n_ip_bare = iperf("bare")

# ------------------------------------------------------------------------------------------------------------------
rows = []  # (section, what, value)
def row(sec, what, val):
    rows.append((sec, what, val))

for lvl, d, names in (("L1", L1, ["devshell", "unshare", "bwrap"]), ("L2", L2, ["devshell", "floor", "podman"]), ("L3", L3, ["devshell", "floor", "podman"])):
    base = g(d, "devshell")
    for n in names:
        m = g(d, n)
        extra = "" if n == "devshell" else f" (devshell / {n} = {fr(ratio(base, m))})"
        row(lvl, n, f"{f(m)}{extra}, CPU {f(cpu(d, n))}")
row("front", "devshell --version", f(g(VER, "version")))
row("front", "L3 median minus its traced phases (runtime start-up, CLI parsing, exit)", f(front_other))
for p in order:
    if p in phase_med:
        row("phase", p, f(phase_med[p], nd=2))
if not phases:
    row("phase", "all", "n/a (no devshell-trace lines)")
row("tty", "devshell shell l1 until the prompt (median of %d)" % len(tti), f(med(tti)))
if m20:
    row("memory", "per idle env: stage-two init RSS (+ util-linux unshare, only for user-namespace envs)", f"{m20['unshare_rss'] + m20['init_rss']:.2f} MB (PSS {m20['unshare_pss'] + m20['init_pss']:.2f} MB)")
    row("memory", "per idle env: the .NET front (run/shell stays)", f"{m20['front_rss']:.1f} MB RSS (PSS {m20['front_pss']:.1f} MB)")
row("scale", "envs launched", f"{n_launched} of {kv.get('scale_target', '?')}" + (f" ({kv['scale_note'].replace('_', ' ')})" if "scale_note" in kv else ""))
row("scale", "launch 1st / 100th / last", f"{f(first)} / {f(l100)} / {f(last)}")
row("scale", "median of the first 10 / last 10 launches", f"{f(first10)} / {f(last10)}")
row("scale", "host memory used per env (free -m)", "n/a" if per_env_mb is None else f"{per_env_mb:.1f} MB ({used_before:.0f} -> {used_after:.0f} MB)")
row("scale", f"devshell gc with 0 / {n_launched} envs (the scan each launch runs first)", f"{f(num('gc_ms_0'))} / {f(num('gc_ms_n'))}")
fronts_n_cpu = None if num("fronts_n_ticks") is None else num("fronts_n_ticks") / clk / (num("fronts_n_window_ms") / 1000) * 100
row("scale", f"CPU of the {kv.get('fronts_n_count', '?')} idle run fronts at the end (10 s)", "n/a" if fronts_n_cpu is None else f"{fronts_n_cpu:.1f}% of a core")
row("scale", "devshell stop --all", f"{f(num('stop_ms'))} (all launchers gone after {f(num('stop_all_exited_ms'))})")
left = {k: kv.get(k, "?") for k in ("left_veths", "left_netns", "left_cgroups", "left_nft_chains", "left_sessions", "launchers_left")}
row("scale", "left after teardown (veths, netns, cgroups, nft chains, sessions, launchers)", " / ".join(left.values()))
row("sampler", "devshell top --json, 50 idle envs, CPU over 30 s", "n/a" if top_cpu is None else f"{top_cpu:.2f}% of a core")
row("sampler", "the 50 idle run fronts together, same 30 s", "n/a" if fronts_cpu is None else f"{fronts_cpu:.1f}% of a core")
row("sampler", "TUI", "n/a")
row("iperf3", "two bridged envs, by name", "n/a" if ip_ds is None else f"{ip_ds:.2f} Gbit/s (median of {n_ip_ds})")
row("iperf3", "two bare netns on a veth pair", "n/a" if ip_bare is None else f"{ip_bare:.2f} Gbit/s (median of {n_ip_bare})")
row("iperf3", "envs / bare", fr(ratio(ip_ds, ip_bare)).replace("x", "") if ip_ds and ip_bare else "n/a")

w = max(len(r[1]) for r in rows) + 2
print()
for sec, what, val in rows:
    print(f"{sec:8} {what:{w}} {val}")

def goal(name, ok, detail):
    return (name, "n/a" if ok is None else ("met" if ok else "MISSED"), detail)

d3, p3, fl3 = g(L3, "devshell"), g(L3, "podman"), g(L3, "floor")
d1, b1 = g(L1, "devshell"), g(L1, "bwrap")
per_env = None if not m20 else m20["unshare_rss"] + m20["init_rss"]
goals = [
    goal("L3 launch <= 40 ms (median)", None if d3 is None else d3 <= 40, f(d3)),
    goal("L3 >= 14x faster than podman", None if d3 is None or p3 is None else p3 / d3 >= 14, f"podman / devshell = {fr(ratio(p3, d3))}"),
    goal("L3 faster than the scripted floor", None if d3 is None or fl3 is None else d3 < fl3, f"{f(d3)} vs {f(fl3)}"),
    goal("L1 <= 1.5x bwrap", None if d1 is None or b1 is None else d1 <= 1.5 * b1, f"devshell / bwrap = {fr(ratio(d1, b1))}"),
    goal("<= 2 MB RSS per idle env (stage two, + unshare if any)", None if per_env is None else per_env <= 2, "n/a" if per_env is None else f"{per_env:.2f} MB"),
    # judged on the medians of the first and last 10 launches: one launch alone is at the mercy of a busy host
    goal(f"launch #{n_launched} <= 1.5x launch #1 (medians of the first / last 10)", None if not first10 or not last10 else last10 <= 1.5 * first10,
         f"{f(last10)} vs {f(first10)} = {fr(ratio(last10, first10))}; single launches #{n_launched} / #1: {f(last)} / {f(first)}"),
    goal("iperf3 between envs >= 90% of bare veth", None if not ip_ds or not ip_bare else ip_ds / ip_bare >= 0.9, fr(ratio(ip_ds, ip_bare)).replace("x", "")),
]
print()
for n, s, dt in goals:
    print(f"goal  {n:50} {s:7} {dt}")

if not doc:
    sys.exit(0)

# ------------------------------------------------------------------------------------------------------------------
def hfrow(lvl, d, name, what):
    m = d.get(name)
    if not m:
        return f"| {lvl} | {name} | n/a | | | | {what} |"
    base = g(d, "devshell")
    return f"| {lvl} | {name} | {m[0]:.1f} | ±{m[1]:.1f} | {m[3]:.1f} | {'' if name == 'devshell' else fr(ratio(base, m[0]))} | {what} |"

L = []
a = L.append
a("# Benchmarks")
a("")
a("Written by `scripts/bench.sh` (do not edit by hand: the next run rewrites it). Every number below is from one run of")
a("that script on the machine named here; rerun it to check them.")
a("")
a(f"- Date: {kv.get('date')}; devshell {kv.get('version')} (commit {kv.get('commit')})")
a(f"- Machine: {kv.get('nproc')} CPUs ({kv.get('cpu', '?').replace('_', ' ')}), {kv.get('memtotal_mb')} MB RAM, kernel {kv.get('kernel')}, cgroup v1")
a(f"- Load average (1 min) at start / at {n_launched} envs / at end: {kv.get('loadavg_start')} / {kv.get('loadavg_at_scale')} / {kv.get('loadavg_end')}"
  " (other work on the host inflates every time below)")
a(f"- Tools: {', '.join(kv.get('ver_' + t, t).replace('_', ' ') for t in ('hyperfine', 'bwrap', 'podman', 'runc', 'iperf3'))}")
a(f"- hyperfine: `-N --warmup 3 --runs {kv.get('runs')}`; times are wall-clock medians (± standard deviation); the CPU column")
a("  (user+system of the process tree, mean) is less sensitive to a busy host than the wall time")
a("")
a("## Goals")
a("")
a("| goal | result | measured |")
a("|---|---|---|")
for n, s, dt in goals:
    a(f"| {n} | {s} | {dt} |")
a("")
a("## Launch: `true` in a fresh environment, start to exit")
a("")
a("| level | tool | median ms | stddev | CPU ms (user+sys, mean) | devshell / this | what it does |")
a("|---|---|---|---|---|---|---|")
a(hfrow("L1", L1, "devshell", "`devshell run l1 -- true`: uts, ipc, mount, pid, net namespaces (network none), no limits; records the session in LiteDB, stage two mounts /proc etc."))
a(hfrow("L1", L1, "unshare", "`unshare --uts --ipc --mount --pid --fork --mount-proc --net true`"))
a(hfrow("L1", L1, "bwrap", "`bwrap --unshare-all --dev-bind / / --proc /proc true`"))
a(hfrow("L2", L2, "devshell", "`devshell run l2 -- true`: L1 plus memory 512M, cpu 0.5, pids 256 (5 cgroup v1 groups made and removed)"))
a(hfrow("L2", L2, "floor", "sh script: mkdir 5 cgroup v1 groups, write the same limits, join them, unshare as L1, rmdir"))
a(hfrow("L2", L2, "podman", "`podman run --rm --network=none --memory=512m --cpus=0.5 --pids-limit=256 --rootfs BUSYBOX true` (cgroupfs, runc, file events, ulimits)"))
a(hfrow("L3", L3, "devshell", "`devshell run l3 -- true`: L2 plus bridge: IPAM, netns, veth into dsbench0, per-env nft chain and map element, hosts/resolv.conf, teardown"))
a(hfrow("L3", L3, "floor", "sh script: ip netns add, veth into a NATed bridge, address, lo, route, the L2 cgroups, `ip netns exec` + unshare, ip netns del, rmdir"))
a(hfrow("L3", L3, "podman", "as L2 with `--network=podman` (netavark bridge + NAT)"))
a("")
a("## Where a devshell launch goes (L3, `DEVSHELL_TRACE=1`, medians)")
a("")
if phases:
    a("| phase | median ms |")
    a("|---|---|")
    a(f"| .NET front start-up alone (`devshell --version`, hyperfine) | {f(g(VER, 'version'), '')} |")
    a(f"| `devshell run l3 -- true`, whole (hyperfine median above) | {f(g(L3, 'devshell'), '')} |")
    a(f"| sum of the traced phases below (median over runs) | {f(inside, '')} |")
    a(f"| the rest, outside every phase: NativeAOT runtime start-up, CLI parsing, process exit | {f(front_other, '')} |")
    for p in order:
        if p in phase_med:
            a(f"| {p} | {phase_med[p]:.2f} |")
    if "store-units" in phase_med:
        a(f"| (store units of work per launch: lock, open, close of the database) | {phase_med['store-units']:.0f} |")
    if "gcs" in phase_med:
        a(f"| (garbage collections in the front per launch; KB it allocated) | {phase_med['gcs']:.0f}; {phase_med.get('allocated-kb', 0):.0f} |")
else:
    a("n/a: this build prints no `devshell-trace:` lines.")
a("")
a("Phases: engine (developer, paths), profile (the profile's copy; without one, the store is opened and the profile read")
a("in one unit with the next steps: 'store' in builds before the copies), preflight (host checks), reconcile (the cheap pass:")
a("the claim files, or the recorded sessions when the store is open), store-open (a bridged launch: lock and open of the")
a("database, its check; the outbox is left to later units), record (claim file, stage two spawned to wait for its spec, the")
a("Starting record queued in the outbox; for a bridged env the store unit's Starting row, IP lease and commit, while the netns")
a("is made), netns (waiting for it), veth (create, move, address, bridge port), nft (one batch: chain, counter, map element),")
a("names (hosts/resolv.conf), cgroup (make the groups, write limits), home, spawn (waiting for stage two's spawn: it runs")
a("from the start of record), spec (the spec written to stage two, its go, and to the file attach reads), stage2 (until PID 1")
a("reports ready: cgroup join, netns, mounts, hostname), run (the drop to the developer, seccomp and the command itself,")
a("until its exit is reported), sample (the last usage reading of the env's cgroups and drop counter, for violations and the")
a("verdict), teardown (all parts in reverse; the netns file is unmounted and the kernel deletes the veth with it, not waited")
a("for), ended (the session's end record queued in the outbox; a store write in builds before it).")
a("")
a("## Where a devshell launch goes (L1, `DEVSHELL_TRACE=1`, medians), and the floor of two NativeAOT processes")
a("")
nat, sta = g(VER, "nativeaot"), g(VER, "static")
if phase_med_l1:
    a("| phase | median ms |")
    a("|---|---|")
    for p in ["main"] + order:
        if p in phase_med_l1:
            a(f"| {p} | {phase_med_l1[p]:.2f} |")
    a(f"| `devshell run l1 -- true`, whole (hyperfine median above) | {f(g(L1, 'devshell'), '')} |")
    if "main" in phase_med_l1 and g(L1, "devshell") is not None:
        a(f"| outside Main: the front's exec and runtime start before it, its exit after | {g(L1, 'devshell') - phase_med_l1['main']:.1f} |")
else:
    a("n/a: this build prints no `devshell-trace:` lines.")
a("")
a("| process start and exit alone (hyperfine) | median ms |")
a("|---|---|")
a(f"| `busybox true` (static C) | {f(sta, '')} |")
a(f"| `devshell-stage2` without a spec (the smallest NativeAOT program devshell ships: runtime start, one read, exit) | {f(nat, '')} |")
a(f"| `devshell --version` (the front: runtime start, CLI parse, exit) | {f(g(VER, 'version'), '')} |")
if nat is not None and sta is not None and b1 is not None:
    a(f"| bwrap + 2 x (NativeAOT - static C): bwrap's work done by two NativeAOT processes that do nothing else | {b1 + 2 * (nat - sta):.1f} ({fr(ratio(b1 + 2 * (nat - sta), b1))} bwrap) |")
a("")
a("Phases as for L3 above, plus cli (Main until the run command starts: stage two's early start, from the profile's copy,")
a("and System.CommandLine's parse) and exit (waiting for PID 1, which has reported the command's exit, to exit itself and")
a("be reaped: the kernel tears its namespaces down meanwhile). stage2 here is the wait for the stage two started in cli.")
a("")
a("## Interactive prompt, memory, scale, sampler, network")
a("")
a("| what | result |")
a("|---|---|")
for sec, what, val in rows:
    if sec in ("tty", "memory", "scale", "sampler", "iperf3"):
        a(f"| {sec}: {what} | {val} |")
a("")
a("How each row is measured:")
a("")
a("- tty: `devshell shell l1` started in a tmux window; time until the pane shows a line ending in `$ ` or `# `")
a("  (capture-pane polled every ~5 ms), median of 10.")
a("- memory: with 20 idle envs (`devshell run l3 -- sleep 3600` in the background), VmRSS (and PSS from smaps_rollup) of")
a("  stage two's init (`devshell-stage2`, plus util-linux `unshare` for user-namespace envs: none here) per env, averaged. `devshell run` and `devshell shell`")
a("  keep their .NET front process for the life of the env (it relays the terminal, samples usage and tears down at the")
a("  end); its memory is the second memory row and is what dominates the per-env cost.")
a(f"- scale: envs launched one after another (`devshell run l3 -- sleep 3600 &`, bridged with limits); a launch's time is")
a("  from starting it until its claim file records a running PID 1. Launching stops early if MemAvailable falls under 3 GB.")
a("  At the end, `devshell gc` is timed (median of 3, also before the first launch) and the idle fronts' CPU over 10 s.")
a("  Then `devshell stop --all`, then every kernel object is counted (ds-* veths on the bridge, netns files, cgroups under")
a("  the parent, nft env chains) and `devshell ps --json`.")
a("- sampler: `devshell top --json` (1 s interval) with 50 idle envs; its utime+stime over 30 s after a 3 s start, divided")
a("  by 30 s. The same window's CPU of the 50 idle `devshell run` fronts (each samples its env every 250 ms) is shown too.")
a("- iperf3: a server in one bridged env (`iperf3 -s -1`), the client in another reaching it by name (`ipsrv.devshell`),")
a("  5 s TCP, 3 runs, a fresh one-off server env each run; against two bare netns joined by one veth pair the script makes. Traffic never leaves those namespaces.")
a("")
a("## Notes on the misses")
a("")
notes = []
if d3 is not None and d3 > 40:
    share = "" if front_other is None else (
        f" About {front_other:.0f} ms of it is outside every launch phase: starting the .NET runtime (`devshell --version`"
        f" alone takes {g(VER, 'version'):.0f} ms), CLI parsing and the process exit.")
    notes.append(f"L3 takes {d3:.0f} ms, not 40 ms.{share} The phases themselves sum to {inside:.0f} ms." if inside else f"L3 takes {d3:.0f} ms, not 40 ms.")
if d3 and fl3 and d3 >= fl3:
    notes.append(f"The scripted floor ({fl3:.1f} ms) beats devshell ({d3:.1f} ms): a shell script pays no runtime start-up and keeps no database.")
if d1 and b1 and d1 > 1.5 * b1:
    floor = "" if nat is None or sta is None else (
        f" A NativeAOT process start and exit costs {nat - sta:.1f} ms more than a static C one here (stage two without a spec,"
        f" {nat:.1f} ms, against busybox, {sta:.1f} ms), and a launch needs two in a row (stage two is spawned from the front's"
        f" Main, and the command starts after stage two's): bwrap plus two of them is already {b1 + 2 * (nat - sta):.1f} ms,"
        f" {ratio(b1 + 2 * (nat - sta), b1):.2f}x bwrap, leaving {1.5 * b1 - b1 - 2 * (nat - sta):.1f} ms for everything devshell does"
        " (profile, claim, cgroups, stage two's mounts and privilege drop, relaying the exit, teardown, session records).")
    notes.append(f"L1 is {d1 / b1:.1f}x bwrap: bwrap is a small C program; devshell runs two NativeAOT processes of its own before the command (the front and stage two, which it spawns in the new namespaces itself).{floor} The L1 trace above says where devshell's own time goes.")
if per_env is not None and per_env > 2:
    notes.append(f"Per idle env, stage two (and unshare, if any) hold {per_env:.1f} MB RSS (PSS {m20['unshare_pss'] + m20['init_pss']:.1f} MB: "
                 "much of the RSS is shared libc/binary pages); the .NET front that `run`/`shell` keep adds "
                 f"{m20['front_rss']:.0f} MB RSS ({m20['front_pss']:.0f} MB PSS) per env.")
if first10 and last10 and last10 > 1.5 * first10:
    why = []
    if num("gc_ms_0") is not None and num("gc_ms_n") is not None:
        why.append(f"the gc pass each launch runs first grows with the envs it scans (`devshell gc` alone: {num('gc_ms_0'):.0f} ms with none, {num('gc_ms_n'):.0f} ms with {n_launched})")
    if fronts_n_cpu is not None:
        why.append(f"the {kv.get('fronts_n_count')} idle `run` fronts, each waking every 250 ms, take {fronts_n_cpu:.0f}% of a core together")
    notes.append(f"Launch #{n_launched} took {last:.0f} ms against {first:.0f} ms for #1 (medians of the first and last 10: {first10:.0f} and {last10:.0f} ms)"
                 + (": " + "; ".join(why) + "." if why else "."))
if ip_ds and ip_bare and ip_ds / ip_bare < 0.9:
    notes.append(f"iperf3 between envs reaches {ip_ds / ip_bare:.0%} of a bare veth pair: env traffic crosses two veths and the bridge, the baseline one veth pair.")
if "scale_note" in kv:
    notes.append("Scale stopped early: " + kv["scale_note"].replace("_", " ") + ".")
lv = num("loadavg_start")
if lv is not None and lv > 1:
    notes.append(f"The 1-minute load average was {lv:.1f} on {kv.get('nproc')} CPUs when the run started: other jobs shared the CPUs, so absolute times are inflated; ratios measured back to back are fairer than absolutes.")
if not notes:
    notes.append("Every goal was met in this run.")
for n in notes:
    a(f"- {n}")
a("")
open(doc, "w").write("\n".join(L))
print(f"\nwrote {doc}")
PYEOF
}

if [ -n "$REPORT_ONLY" ]; then
  if [ "$DOC" = 1 ]; then report "$REPORT_ONLY" "$REPO/docs/benchmarks.md"; else report "$REPORT_ONLY"; fi
  exit $?
fi
[ "$(id -u)" -eq 0 ] || { echo "bench: run it as root (it creates namespaces, cgroups, a bridge and nft tables)" >&2; exit 2; }

W=/var/tmp/dsbench.$$
RES=$W/res
mkdir -p "$RES"
export DEVSHELL_DB=$W/devshell.db
export DEVSHELL_RUN_DIR=$W/run
export DEVSHELL_CGROUP_PARENT=dsbench
export DEVSHELL_BRIDGE=dsbench0
export DEVSHELL_NFT_TABLE=devshell_bench
unset DEVSHELL_TRACE
DS=$REPO/artifacts/bin/devshell
CG=/sys/fs/cgroup
CONTROLLERS="cpu cpuacct memory pids blkio"
FLOOR_BRIDGE=dsbfloor0
FLOOR_TABLE=dsbench_floor
TMUX_SOCK=dsbench
BG_PIDS=()

log() { printf '== %s\n' "$*" >&2; }
kv() { printf '%s %s\n' "$1" "$2" >>"$RES/kv.txt"; }
now_us() { local t=${EPOCHREALTIME/./}; echo "$t"; }
ds() { "$DS" "$@"; }

cleanup() {
  set +e
  log "cleaning up"
  if [ -x "$DS" ]; then
    ds stop --all >/dev/null 2>&1
    for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null; done
    sleep 0.2
    ds gc >/dev/null 2>&1
    ds net down --force >/dev/null 2>&1
  fi
  for p in "${BG_PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done
  tmux -L "$TMUX_SOCK" kill-server 2>/dev/null
  for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^(dsbf[0-9]+|dsbip-[ab])$'); do ip netns del "$ns"; done
  ip link del dsbipa 2>/dev/null
  ip link del "$FLOOR_BRIDGE" 2>/dev/null
  nft delete table ip "$FLOOR_TABLE" 2>/dev/null
  for c in $CONTROLLERS; do
    for parent in dsbfloor dsbench; do
      [ -d "$CG/$c/$parent" ] || continue
      find "$CG/$c/$parent" -mindepth 1 -depth -type d -exec rmdir {} \; 2>/dev/null
      rmdir "$CG/$c/$parent" 2>/dev/null
    done
  done
  rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------------------------------------------------------
if [ "$INSTALL" = 1 ]; then
  pkgs=(hyperfine bubblewrap podman runc iperf3 busybox-static tmux python3 iproute2 nftables util-linux procps)
  missing=()
  for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p"); done
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing from Debian: ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null || { echo "bench: apt-get install failed" >&2; exit 1; }
  fi
fi
for t in hyperfine bwrap podman runc iperf3 busybox tmux python3 nft ip unshare; do
  command -v "$t" >/dev/null || { echo "bench: $t is missing (run without --no-install)" >&2; exit 1; }
done
if [ "$BUILD" = 1 ]; then
  log "publishing devshell, devshell-tui and the NativeAOT second stage into artifacts/bin"
  if ! ./scripts/publish.sh artifacts/bin >"$RES/publish.log" 2>&1; then
    cat "$RES/publish.log" >&2; echo "bench: the build failed" >&2; exit 1
  fi
fi
[ -x "$DS" ] || { echo "bench: $DS is not built (run without --no-build)" >&2; exit 1; }

kv date "$(date -u +%Y-%m-%dT%H:%MZ)"
kv nproc "$(nproc)"
kv kernel "$(uname -r)"
kv cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//' | tr ' ' '_')"
kv memtotal_mb "$(free -m | awk '/^Mem:/{print $2}')"
kv loadavg_start "$(cut -d' ' -f1 /proc/loadavg)"
kv version "$(ds --version 2>/dev/null | head -1)"
kv commit "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
kv runs "$RUNS"
for t in hyperfine bwrap podman runc iperf3; do kv "ver_$t" "$("$t" --version 2>&1 | head -1 | tr ' ' '_')"; done

# Profiles: L1 namespaces only; L2 plus limits; L3 plus bridge (and NAT); iperf3 peers are bridged without limits.
add_profile() { echo "$1" | ds profile add - >/dev/null || { echo "bench: cannot add profile: $1" >&2; exit 1; }; }
add_profile '{"name":"l1","shell":"/bin/sh","network":{"mode":"none"}}'
add_profile '{"name":"l2","shell":"/bin/sh","network":{"mode":"none"},"limits":{"memory":"512M","cpu":0.5,"pids":256}}'
add_profile '{"name":"l3","shell":"/bin/sh","network":{"mode":"bridge"},"limits":{"memory":"512M","cpu":0.5,"pids":256}}'
add_profile '{"name":"ipsrv","shell":"/bin/sh","network":{"mode":"bridge"}}'
add_profile '{"name":"ipcli","shell":"/bin/sh","network":{"mode":"bridge"}}'
ds run l3 -- true >/dev/null 2>&1 || { echo "bench: devshell run l3 -- true failed" >&2; ds run l3 -- true; exit 1; }

# Scripted floors: the same isolation, limits and network done by hand with util-linux and iproute2.
mkdir -p "$W/floor"
for c in $CONTROLLERS; do mkdir -p "$CG/$c/dsbfloor"; done
cat >"$W/floor/l2.sh" <<'EOF'
#!/bin/sh
# L2 floor: 5 cgroup v1 groups with the same limits, unshare into them, remove the groups.
id=$$; cg=/sys/fs/cgroup
for c in cpu cpuacct memory pids blkio; do mkdir $cg/$c/dsbfloor/$id || exit 1; done
echo 536870912 >$cg/memory/dsbfloor/$id/memory.limit_in_bytes
echo 100000 >$cg/cpu/dsbfloor/$id/cpu.cfs_period_us
echo 50000 >$cg/cpu/dsbfloor/$id/cpu.cfs_quota_us
echo 256 >$cg/pids/dsbfloor/$id/pids.max
sh -c 'for c in cpu cpuacct memory pids blkio; do echo $$ >/sys/fs/cgroup/$c/dsbfloor/'$id'/cgroup.procs; done
exec unshare --uts --ipc --mount --pid --fork --mount-proc --net true'
rc=$?
for c in cpu cpuacct memory pids blkio; do rmdir $cg/$c/dsbfloor/$id || rc=1; done
exit $rc
EOF
cat >"$W/floor/l3.sh" <<'EOF'
#!/bin/sh
# L3 floor: a named netns with a veth into a NATed bridge, an address and a route, the L2 cgroups,
# unshare inside the netns (ip netns exec), then remove the netns (its veth goes with it) and the groups.
id=$$; cg=/sys/fs/cgroup; ns=dsbf$id
o3=$(( (id / 254) % 256 )); o4=$(( id % 254 + 1 )); [ "$o3.$o4" = 0.1 ] && o4=2
ip netns add $ns || exit 1
ip link add dsbf$id type veth peer name dsbg$id netns $ns
ip link set dsbf$id master dsbfloor0 up
ip -n $ns addr add 10.231.$o3.$o4/16 dev dsbg$id
ip -n $ns link set dsbg$id up
ip -n $ns link set lo up
ip -n $ns route add default via 10.231.0.1
for c in cpu cpuacct memory pids blkio; do mkdir $cg/$c/dsbfloor/$id || exit 1; done
echo 536870912 >$cg/memory/dsbfloor/$id/memory.limit_in_bytes
echo 100000 >$cg/cpu/dsbfloor/$id/cpu.cfs_period_us
echo 50000 >$cg/cpu/dsbfloor/$id/cpu.cfs_quota_us
echo 256 >$cg/pids/dsbfloor/$id/pids.max
sh -c 'for c in cpu cpuacct memory pids blkio; do echo $$ >/sys/fs/cgroup/$c/dsbfloor/'$id'/cgroup.procs; done
exec ip netns exec '$ns' unshare --uts --ipc --mount --pid --fork --mount-proc true'
rc=$?
ip netns del $ns || rc=1
for c in cpu cpuacct memory pids blkio; do rmdir $cg/$c/dsbfloor/$id || rc=1; done
exit $rc
EOF
ip link add "$FLOOR_BRIDGE" type bridge && ip addr add 10.231.0.1/16 dev "$FLOOR_BRIDGE" && ip link set "$FLOOR_BRIDGE" up ||
  { echo "bench: cannot create the floor bridge $FLOOR_BRIDGE" >&2; exit 1; }
nft -f - <<EOF || { echo "bench: cannot create nft table ip $FLOOR_TABLE" >&2; exit 1; }
table ip $FLOOR_TABLE {
  chain postrouting { type nat hook postrouting priority srcnat; policy accept; ip saddr 10.231.0.0/16 oifname != "$FLOOR_BRIDGE" masquerade; }
}
EOF
sh "$W/floor/l2.sh" && sh "$W/floor/l3.sh" || { echo "bench: a scripted floor failed" >&2; exit 1; }

# A minimal rootfs for podman: busybox-static as /bin/true and /bin/sh.
ROOTFS=$W/rootfs
mkdir -p "$ROOTFS"/{bin,dev,proc,sys,etc,tmp}
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
ln -s busybox "$ROOTFS/bin/true"; ln -s busybox "$ROOTFS/bin/sh"
PODMAN="podman --cgroup-manager=cgroupfs --events-backend=file --runtime=runc"
PODMAN_RUN="$PODMAN run --rm --memory=512m --cpus=0.5 --pids-limit=256 --ulimit nofile=20000:20000 --ulimit nproc=32768:32768"

hf() { # hf NAME CMD... : hyperfine, shell=none, warmup 3, >= RUNS runs
  local name=$1; shift
  hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$RES/hf-$name.json" "$@" >"$RES/hf-$name.txt" 2>&1 ||
    { cat "$RES/hf-$name.txt" >&2; echo "bench: hyperfine $name failed" >&2; return 1; }
}

log "L1 namespaces only: devshell vs unshare vs bwrap ($RUNS runs)"
hf l1 -n devshell "$DS run l1 -- true" \
  -n unshare "unshare --uts --ipc --mount --pid --fork --mount-proc --net true" \
  -n bwrap "bwrap --unshare-all --dev-bind / / --proc /proc true"

log "L2 plus limits: devshell vs scripted floor vs podman"
hf l2 -n devshell "$DS run l2 -- true" -n floor "sh $W/floor/l2.sh" \
  -n podman "$PODMAN_RUN --network=none --rootfs $ROOTFS true"

log "L3 plus bridge and NAT: devshell vs scripted floor vs podman"
hf l3 -n devshell "$DS run l3 -- true" -n floor "sh $W/floor/l3.sh" \
  -n podman "$PODMAN_RUN --network=podman --rootfs $ROOTFS true"

log ".NET front start-up alone: devshell --version; the start and exit of a NativeAOT process and of a static C one"
# Stage two without a spec is the smallest NativeAOT program devshell ships: runtime start, one failed read, exit 125
# (hence -i). busybox (static) is the same exec and exit in C. Their difference is what each NativeAOT process of a
# launch adds to what a C tool like bwrap pays.
hf version -i -n version "$DS --version" -n nativeaot "$(dirname "$DS")/devshell-stage2" -n static "busybox true"

log "per-phase breakdown (DEVSHELL_TRACE=1, L3, $RUNS runs)"
for i in $(seq "$RUNS"); do
  DEVSHELL_TRACE=1 "$DS" run l3 -- true 2>&1 >/dev/null | grep '^devshell-trace:' | sed "s/^/$i /" >>"$RES/trace.txt"
done
[ -s "$RES/trace.txt" ] || log "no devshell-trace lines: phase breakdown will read n/a"
log "per-phase breakdown (DEVSHELL_TRACE=1, L1, $RUNS runs)"
for i in $(seq "$RUNS"); do
  DEVSHELL_TRACE=1 "$DS" run l1 -- true 2>&1 >/dev/null | grep '^devshell-trace:' | sed "s/^/$i /" >>"$RES/trace-l1.txt"
done

# ---------------------------------------------------------------------------------------------------------------
log "time to an interactive prompt: devshell shell l1 in tmux (10 runs)"
tmux -L "$TMUX_SOCK" -f /dev/null new-session -d -s tti -x 120 -y 30 "sleep 900"
envs="DEVSHELL_DB=$DEVSHELL_DB DEVSHELL_RUN_DIR=$DEVSHELL_RUN_DIR DEVSHELL_CGROUP_PARENT=$DEVSHELL_CGROUP_PARENT DEVSHELL_BRIDGE=$DEVSHELL_BRIDGE DEVSHELL_NFT_TABLE=$DEVSHELL_NFT_TABLE"
for i in $(seq 10); do
  t0=$(now_us)
  tmux -L "$TMUX_SOCK" new-window -d -t tti -n "w$i" "env $envs $DS shell l1"
  got=""
  for _ in $(seq 2000); do # <= ~20 s
    if tmux -L "$TMUX_SOCK" capture-pane -p -N -t "tti:w$i" 2>/dev/null | grep -qE '(^|[^ ])[#$] ?$'; then got=1; break; fi
    sleep 0.005
  done
  t1=$(now_us)
  if [ -n "$got" ]; then echo $(( (t1 - t0) / 1000 )) >>"$RES/tti.txt"; else log "tti run $i: no prompt within 20 s"; fi
  tmux -L "$TMUX_SOCK" send-keys -t "tti:w$i" "exit" Enter 2>/dev/null
  for _ in $(seq 200); do tmux -L "$TMUX_SOCK" list-windows -t tti -F '#W' 2>/dev/null | grep -qx "w$i" || break; sleep 0.05; done
  tmux -L "$TMUX_SOCK" kill-window -t "tti:w$i" 2>/dev/null
done
tmux -L "$TMUX_SOCK" kill-server 2>/dev/null

# ---------------------------------------------------------------------------------------------------------------
running_count() { grep -l '^init ' "$DEVSHELL_RUN_DIR"/sessions/*.claim 2>/dev/null | wc -l; }

# Per-env memory and CPU of what DevShell keeps: the .NET front (launcher), util-linux unshare, stage-two init.
proc_sample() { # proc_sample LABEL: one line per running env "label front_rss front_pss unshare_rss unshare_pss init_rss init_pss"
  ds ps --json >"$RES/ps.json" 2>/dev/null
  python3 - "$1" "$RES/ps.json" >>"$RES/mem.txt" <<'EOF'
import json, sys
label, path = sys.argv[1], sys.argv[2]
def kb(pid, key, f):
    try:
        for line in open(f"/proc/{pid}/{f}"):
            if line.startswith(key + ":"): return int(line.split()[1])
    except OSError: pass
    return 0
def ppid(pid):
    try: return int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
    except OSError: return 0
for s in json.load(open(path)):
    init, front = s.get("init_pid"), s.get("launcher_pid")
    if not init: continue
    unsh = ppid(init)
    if unsh == front: unsh = 0  # stage two started by the front itself: no util-linux unshare in between
    print(label, *(v for p in (front, unsh, init) for v in (kb(p, "VmRSS", "status"), kb(p, "Pss", "smaps_rollup"))))
EOF
}

cpu_ticks() { local t=0 p s; for p in "$@"; do s=$(awk '{print $14+$15}' "/proc/$p/stat" 2>/dev/null) && t=$((t + s)); done; echo $t; }

log "scale: up to $SCALE bridged envs (devshell run l3 -- sleep 3600), one after another"
kv scale_target "$SCALE"
gc_ms() { local a b; a=$(now_us); ds gc >/dev/null 2>&1; b=$(now_us); echo $(( (b - a) / 1000 )); }
kv gc_ms_0 "$(for _ in 1 2 3; do gc_ms; done | sort -n | sed -n 2p)"
kv free_used_mb_before "$(free -m | awk '/^Mem:/{print $3}')"
: >"$RES/launch.txt"
scale_stop=""
scale_deadline=$((SECONDS + 1800)) # the scale stage gives up launching after 30 min
for i in $(seq "$SCALE"); do
  if [ $SECONDS -ge $scale_deadline ]; then scale_stop="stopped at $((i - 1)) envs: the 30-minute budget of the scale stage ran out"; break; fi
  avail=$(awk '/^MemAvailable:/{print int($2/1024)}' /proc/meminfo)
  if [ "$avail" -lt 3072 ]; then scale_stop="stopped at $((i - 1)) envs: MemAvailable ${avail} MB < 3 GB"; break; fi
  t0=$(now_us)
  "$DS" run l3 -- sleep 3600 >/dev/null 2>"$RES/scale-err.txt" &
  BG_PIDS+=($!)
  ok=""
  for _ in $(seq 6000); do # <= ~60 s
    if [ "$(running_count)" -ge "$i" ]; then ok=1; break; fi
    kill -0 "${BG_PIDS[-1]}" 2>/dev/null || break
    sleep 0.01
  done
  t1=$(now_us)
  if [ -z "$ok" ]; then scale_stop="launch $i did not reach running: $(head -c 300 "$RES/scale-err.txt")"; break; fi
  echo "$i $(( (t1 - t0) / 1000 ))" >>"$RES/launch.txt"
  if [ "$i" -eq 20 ]; then
    log "memory of 20 idle envs"
    proc_sample idle20
  fi
  if [ "$i" -eq 50 ]; then
    log "sampler CPU: devshell top --json for 30 s with 50 idle envs"
    ds ps --json >"$RES/ps.json" 2>/dev/null
    fronts=$(python3 -c 'import json,sys; print(" ".join(str(s["launcher_pid"]) for s in json.load(open(sys.argv[1]))))' "$RES/ps.json")
    "$DS" top --json >"$RES/top.out" 2>&1 &
    top=$!
    sleep 3
    a=$(cpu_ticks $top); fa=$(cpu_ticks $fronts); ta=$(now_us)
    sleep 30
    b=$(cpu_ticks $top); fb=$(cpu_ticks $fronts); tb=$(now_us)
    total=$(cpu_ticks $top)
    kill "$top" 2>/dev/null; wait "$top" 2>/dev/null
    kv top_ticks_30s $((b - a)); kv top_ticks_total "$total"; kv top_window_ms $(( (tb - ta) / 1000 ))
    kv fronts_ticks_30s $((fb - fa)); kv fronts_count "$(echo $fronts | wc -w)"; kv clk_tck "$(getconf CLK_TCK)"
    kv top_lines "$(wc -l <"$RES/top.out")"
  fi
done
n_up=$(running_count)
kv scale_reached "$n_up"
[ -n "$scale_stop" ] && kv scale_note "$(echo "$scale_stop" | tr '\n ' '__')"
kv free_used_mb_after "$(free -m | awk '/^Mem:/{print $3}')"
kv loadavg_at_scale "$(cut -d' ' -f1 /proc/loadavg)"
# What the last launches paid for: the gc scan every launch runs first (now over N envs' objects), and N idle fronts.
kv gc_ms_n "$(for _ in 1 2 3; do gc_ms; done | sort -n | sed -n 2p)"
ds ps --json >"$RES/ps.json" 2>/dev/null
fronts=$(python3 -c 'import json,sys; print(" ".join(str(s["launcher_pid"]) for s in json.load(open(sys.argv[1]))))' "$RES/ps.json")
fa=$(cpu_ticks $fronts); ta=$(now_us); sleep 10; fb=$(cpu_ticks $fronts); tb=$(now_us)
kv fronts_n_ticks $((fb - fa)); kv fronts_n_window_ms $(( (tb - ta) / 1000 )); kv fronts_n_count "$(echo $fronts | wc -w)"
proc_sample "scale$n_up"

log "teardown: devshell stop --all with $n_up envs"
t0=$(now_us)
ds stop --all >"$RES/stop.txt" 2>&1; kv stop_rc $?
t1=$(now_us)
for _ in $(seq 1200); do # <= ~120 s for every launcher to end
  alive=0; for p in "${BG_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=$((alive + 1)); done
  [ $alive -eq 0 ] && break; sleep 0.1
done
t2=$(now_us)
kv stop_ms $(( (t1 - t0) / 1000 )); kv stop_all_exited_ms $(( (t2 - t0) / 1000 )); kv launchers_left "$alive"
BG_PIDS=()
kv left_veths "$(ip -o link show master dsbench0 2>/dev/null | grep -c ' ds-')"
kv left_netns "$(ls "$DEVSHELL_RUN_DIR/netns" 2>/dev/null | wc -l)"
kv left_cgroups "$(for c in $CONTROLLERS; do [ -d "$CG/$c/dsbench" ] && find "$CG/$c/dsbench" -mindepth 1 -type d; done | wc -l)"
kv left_nft_chains "$(nft list table inet devshell_bench 2>/dev/null | grep -c 'chain env-')"
kv left_sessions "$(ds ps --json 2>/dev/null | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# ---------------------------------------------------------------------------------------------------------------
log "iperf3: two bridged envs (client -> server by name) vs two bare netns on a veth pair (3 x 5 s each)"
for i in 1 2 3; do
  # a fresh one-off server env per run (a long-lived iperf3 -s was seen to hang a later client for a minute)
  "$DS" run ipsrv -- iperf3 -s -1 >/dev/null 2>&1 &
  srv=$!
  BG_PIDS+=($srv)
  for _ in $(seq 300); do [ "$(running_count)" -ge 1 ] && break; sleep 0.1; done
  ds run ipcli -- sh -c 'for t in $(seq 20); do out=$(timeout 20 iperf3 -c ipsrv.devshell -t 5 -J --connect-timeout 2000 2>&1) && { echo "$out"; exit 0; }; sleep 0.3; done; echo "$out" >&2; exit 1' \
    >"$RES/iperf-ds-$i.json" 2>"$RES/iperf-ds-$i.err" || log "iperf3 between envs failed: $(head -c 300 "$RES/iperf-ds-$i.err")"
  for _ in $(seq 100); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
  kill -0 $srv 2>/dev/null && ds stop --all >/dev/null 2>&1
  wait $srv 2>/dev/null
done
BG_PIDS=()
ip netns add dsbip-a && ip netns add dsbip-b &&
  ip link add dsbipa netns dsbip-a type veth peer name dsbipb netns dsbip-b &&
  ip -n dsbip-a addr add 10.232.0.1/24 dev dsbipa && ip -n dsbip-b addr add 10.232.0.2/24 dev dsbipb &&
  ip -n dsbip-a link set dsbipa up && ip -n dsbip-b link set dsbipb up &&
  ip -n dsbip-a link set lo up && ip -n dsbip-b link set lo up || log "cannot build the bare veth pair"
for i in 1 2 3; do
  ip netns exec dsbip-a iperf3 -s -1 >/dev/null 2>&1 &
  srv=$!
  for t in $(seq 30); do
    timeout 20 ip netns exec dsbip-b iperf3 -c 10.232.0.1 -t 5 -J --connect-timeout 2000 >"$RES/iperf-bare-$i.json" 2>/dev/null && break
    sleep 0.2
  done
  for _ in $(seq 50); do kill -0 $srv 2>/dev/null || break; sleep 0.1; done
  kill $srv 2>/dev/null; wait $srv 2>/dev/null
done
ip netns del dsbip-a; ip netns del dsbip-b
kv loadavg_end "$(cut -d' ' -f1 /proc/loadavg)"

# ---------------------------------------------------------------------------------------------------------------
log "report"
KEEP=$REPO/artifacts/bench/$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$KEEP" && cp -a "$RES/." "$KEEP/" && log "raw results kept in $KEEP"
if [ "$DOC" = 1 ]; then report "$RES" "$REPO/docs/benchmarks.md"; else report "$RES"; fi
