#!/usr/bin/env bash
# Runs every test: restores Azurite (npm ci) and NuGet packages, then the unit and Azurite-backed tests.
# Extra arguments go to `dotnet test`, e.g. --filter "Category!=Azurite" for the fast set.
set -euo pipefail
cd "$(dirname "$0")/.."

# The dashboard's browser tests drive Debian's Chromium (Playwright cannot download its own browsers here). Installed
# in the background while the build runs; without root or apt-get the tests say so (and fail under CI=true).
chromium_log=$(mktemp)
chromium_install=""
if ! command -v chromium >/dev/null 2>&1 && [ -z "${SCHEDULER_CHROMIUM:-}" ] && command -v apt-get >/dev/null 2>&1; then
  as_root=""
  [ "$(id -u)" -eq 0 ] || as_root="sudo -n"
  ( $as_root apt-get update -qq && DEBIAN_FRONTEND=noninteractive $as_root apt-get install -y -qq chromium ) >"$chromium_log" 2>&1 &
  chromium_install=$!
fi

# Azurite (npm ci) installs, and the real Functions host (../shared/functions-host, for the FunctionsHost tier) builds
# at low priority, while NuGet restores and the solution builds: the tests need both, the build neither. The kit's
# build is idempotent and locked, so the tier's own call finds it done (or reports its failure with the log).
npm ci --no-audit --no-fund --loglevel=error &
npm_install=$!
fhkit=../shared/functions-host/build.sh
fhkit_build=""
if [ -f "$fhkit" ]; then
  ( UseSourceLink=false bash "$fhkit" .fhkit/host >/dev/null 2>&1 || true ) &
  fhkit_build=$!
fi
dotnet build Scheduler.sln --configuration Release --verbosity quiet -nologo
wait "$npm_install" || { echo "error: npm ci failed (Azurite is needed by the storage tests)"; exit 1; }
[ -z "$fhkit_build" ] || wait "$fhkit_build" # done before the timing-sensitive tests start
if [ -n "$chromium_install" ] && ! wait "$chromium_install"; then
  echo "warning: installing chromium failed; the browser tests will say so:"; tail -5 "$chromium_log"
fi
rm -f "$chromium_log"
echo "test.sh: built and ready after ${SECONDS} s"

# Projects whose tests keep no real clock (pure logic on a fake clock, Bicep, the template's pack-and-build) run side
# by side first. Every other project runs alone: each starts its own Azurite, and timing-sensitive tests (leases,
# precise firing, SIGINT) should not compete for this machine's two cores with another project's dispatchers.
side_by_side=(tests/Scheduler.Core.Tests tests/Scheduler.Infra.Tests tests/Scheduler.Template.Tests)
alone=()
for project in tests/*/*.Tests.csproj; do
  directory=$(dirname "$project")
  [[ " ${side_by_side[*]} " == *" $directory "* ]] || alone+=("$directory")
done

log=$(mktemp)
status=0
set +e
pids=()
for directory in "${side_by_side[@]}"; do
  dotnet test "$directory" --no-build --configuration Release "$@" >"$log.$(basename "$directory")" 2>&1 &
  pids+=("$!")
done
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
for directory in "${side_by_side[@]}"; do
  tee -a "$log" <"$log.$(basename "$directory")"
  rm -f "$log.$(basename "$directory")"
done
for directory in "${alone[@]}"; do
  dotnet test "$directory" --no-build --configuration Release "$@" 2>&1 | tee -a "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
done
set -e

sum() { grep -Eo "$1: +[0-9]+" "$log" | awk '{ s += $2 } END { print s + 0 }'; }
echo "tests: $(sum Passed) passed, $(sum Failed) failed, $(sum Skipped) skipped, in ${SECONDS} s"
rm -f "$log"
exit "$status"
