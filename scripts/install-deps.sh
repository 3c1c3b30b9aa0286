#!/usr/bin/env bash
# Installs the Debian packages DevShell and its tests use. Idempotent: installs only what is missing.
set -euo pipefail
pkgs=(util-linux iproute2 nftables libnftables1 tmux clang zlib1g-dev python3 procps kmod busybox-static)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "devshell: installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
else
  echo "devshell: Debian packages present: ${pkgs[*]}"
fi
if ! command -v dotnet >/dev/null 2>&1; then
  echo "devshell: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi
