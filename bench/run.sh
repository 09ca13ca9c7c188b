#!/usr/bin/env bash
# Runs the benchmarks in Release against an Azurite the benchmark starts (in memory, free loopback ports) and writes
# docs/benchmarks.md. Arguments go to the benchmark, e.g.: bash bench/run.sh --sizes 1000,10000 --repeats 3
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/azurite ] || npm ci --no-audit --no-fund
dotnet build bench/Scheduler.Bench -c Release -nologo -v quiet
exec dotnet bench/Scheduler.Bench/bin/Release/net10.0/Scheduler.Bench.dll --command "bash bench/run.sh $*" "$@"
