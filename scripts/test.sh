#!/usr/bin/env bash
# Runs every test: restores Azurite (npm ci) and NuGet packages, then the unit and Azurite-backed tests.
# Extra arguments go to `dotnet test`, e.g. --filter "Category!=Azurite" for the fast set.
set -euo pipefail
cd "$(dirname "$0")/.."

npm ci --no-audit --no-fund --loglevel=error
dotnet restore Scheduler.sln --verbosity quiet
dotnet build Scheduler.sln --no-restore --configuration Release --verbosity quiet -nologo

# One test project at a time (-m:1): each starts its own Azurite, and timing-sensitive tests (leases, precise
# firing, SIGINT) should not compete for this machine's two cores with another project's dispatchers.
log=$(mktemp)
set +e
dotnet test Scheduler.sln --no-build --configuration Release -m:1 "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e

sum() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ s += $2 } END { print s + 0 }'; }
echo "tests: $(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped"
rm -f "$log"
exit "$status"
