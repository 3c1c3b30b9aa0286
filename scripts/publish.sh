#!/usr/bin/env bash
# Publishes DevShell's three NativeAOT executables (Release) into one directory:
#   devshell         the CLI (src/DevShell)
#   devshell-tui     the TUI, which bare `devshell` execs on a terminal (src/DevShell.TuiHost)
#   devshell-stage2  the second stage run inside every env (src/DevShell.Stage2)
# Usage: scripts/publish.sh OUTDIR   (dotnet's output goes to stdout/stderr; the caller decides where)
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: scripts/publish.sh OUTDIR}
dotnet publish src/DevShell -c Release -o "$out" --nologo -v quiet
dotnet publish src/DevShell.TuiHost -c Release -o "$out" --nologo -v quiet
dotnet publish src/DevShell.Stage2 -c Release -r linux-x64 -o "$out" --nologo -v quiet
