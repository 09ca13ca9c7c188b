#!/usr/bin/env bash
# Runs the scheduler locally without Azure Functions Core Tools: restores what it needs, starts Azurite (data in
# .azurite/), seeds demo schedules and files, and runs the standalone host, printing each run. Ctrl+C stops it.
set -euo pipefail
cd "$(dirname "$0")/.."

[ -x node_modules/.bin/azurite ] || npm ci --no-audit --no-fund --loglevel=error
dotnet build src/Scheduler.Functions --configuration Release --verbosity quiet -nologo
exec dotnet src/Scheduler.Functions/bin/Release/net10.0/Scheduler.Functions.dll --standalone --seed-demo "$@"
