#!/usr/bin/env bash
# Runs every test suite and ends with one plain line: "N passed, N failed" (all suites summed).
# Integration tests need root, namespaces, cgroups, veth and nftables; under CI=true a missing feature fails them.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
art="$root/artifacts"
results="$art/test-results"
rm -rf "$results"
mkdir -p "$results"

# The Debian packages the integration tests use (iproute2, nftables, tmux, clang for NativeAOT, ...).
if [ "$(id -u)" -eq 0 ]; then ./scripts/install-deps.sh; fi

# Nerdbank.GitVersioning computes the version from git history; a shallow clone lacks it. Build from version.json then.
if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = "true" ]; then
  echo "note: shallow clone: the version comes from version.json alone (NBGV_GitEngine=Disabled)"
  export NBGV_GitEngine=Disabled
fi

echo "== building devshell, devshell-tui and the NativeAOT second stage into $art/bin"
if ! ./scripts/publish.sh "$art/bin" >"$results/publish.log" 2>&1; then
  cat "$results/publish.log"
  echo "0 passed, 1 failed"
  exit 1
fi
export DEVSHELL_BIN="$art/bin/devshell"
export DEVSHELL_STAGE2="$art/bin/devshell-stage2"

passed=0
failed=0
status=0
for proj in tests/*.Tests/*.csproj; do
  name=$(basename "$proj" .csproj)
  echo "== $name"
  trx="$results/$name.trx"
  dotnet test "$proj" -c Release --nologo --logger "trx;LogFileName=$trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 5m 2>&1 | tee "$results/$name.log" | grep -E "^\s+(Passed|Failed|Skipped) |error|Total tests|Passed!|Failed!|\[SKIP\]" || true
  rc=${PIPESTATUS[0]}
  if [ -f "$trx" ]; then
    p=$(grep -o 'passed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    f=$(grep -o 'failed="[0-9]*"' "$trx" | head -1 | grep -o '[0-9]*')
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
  fi
  if [ "$rc" -ne 0 ]; then
    status=1
    # A suite that did not build or crashed counts as one failure even when no test result was written.
    if [ ! -f "$trx" ]; then failed=$((failed + 1)); fi
  fi
done
echo "$passed passed, $failed failed"
exit $status
