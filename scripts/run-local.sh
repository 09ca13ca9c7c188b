#!/usr/bin/env bash
# Runs the scheduler locally without Azure Functions Core Tools: restores what it needs, starts Azurite (data in
# .azurite/), seeds demo schedules and files, and runs the standalone host, printing each run and serving the
# dashboard at http://127.0.0.1:7071/dashboard. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
build_log=$(mktemp)
# The Functions SDK's generated extension project prints restore warnings that are not ours; show them only on failure.
dotnet build src/Scheduler.App --configuration Release --verbosity quiet -nologo >"$build_log" 2>&1 || { cat "$build_log"; exit 1; }
rm -f "$build_log"
# The dashboard on this machine only; pass --Scheduler:Dashboard:Url=http://127.0.0.1:<port> to use another port.
exec dotnet src/Scheduler.App/bin/Release/net10.0/Scheduler.App.dll --standalone --seed-demo --Scheduler:Dashboard:Url=http://127.0.0.1:7071 "$@"
