#!/usr/bin/env bash
# Installs DevShell on a Debian/Ubuntu machine that has the .NET 10 SDK:
#   1. the Debian packages it uses (iproute2, nftables, util-linux, tmux, clang + zlib1g-dev for NativeAOT),
#   2. a Release publish of the CLI, the TUI and the NativeAOT second stage into /usr/local/lib/devshell,
#   3. /usr/local/bin/devshell, a symlink to it.
# Idempotent: run it again to update. DevShell is never setuid or setcap (DOTNET_* variables would make that a root
# escalation): privileged work happens only when you run it as root, e.g. `sudo devshell`.
set -euo pipefail
cd "$(dirname "$0")"
prefix=${PREFIX:-/usr/local}
libdir="$prefix/lib/devshell"

if [ "$(id -u)" -ne 0 ]; then
  echo "install.sh: run as root (sudo ./install.sh): it installs Debian packages and writes $libdir" >&2
  exit 1
fi

echo "==> Debian packages"
./scripts/install-deps.sh

if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = "true" ]; then
  echo "==> shallow clone: the version comes from version.json alone"
  export NBGV_GitEngine=Disabled
fi

echo "==> publishing devshell, devshell-tui and the NativeAOT second stage (Release) to $libdir"
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
./scripts/publish.sh "$stage"
rm -f "$stage"/*.dbg "$stage"/*.pdb
mkdir -p "$libdir"
# Replace the old install as a whole so no stale file survives an update.
rm -rf "$libdir.new"
cp -a "$stage" "$libdir.new"
rm -rf "$libdir"
mv "$libdir.new" "$libdir"
chmod 755 "$libdir" "$libdir/devshell" "$libdir/devshell-tui" "$libdir/devshell-stage2"

echo "==> linking $prefix/bin/devshell"
ln -sfn "$libdir/devshell" "$prefix/bin/devshell"

echo "==> done: $("$prefix/bin/devshell" --version)"
echo "    try: sudo devshell profile list    (or just: sudo devshell)"
