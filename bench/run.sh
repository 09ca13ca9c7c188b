#!/usr/bin/env bash
# Runs the benchmarks in Release against an Azurite the benchmark starts (in memory, free loopback ports) and a
# PostgreSQL this script starts for the Quartz.NET peer, and writes docs/benchmarks.md. Arguments go to the benchmark,
# e.g.: bash bench/run.sh --sizes 1000,10000 --repeats 3 --only throughput,quartz
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/azurite ] || npm ci --no-audit --no-fund
dotnet build bench/Scheduler.Bench -c Release -nologo -v quiet
source bench/postgres.sh
postgres=()
[ -n "${BENCH_POSTGRES:-}" ] && postgres=(--postgres "$BENCH_POSTGRES")
# Not exec: the EXIT trap stops PostgreSQL when the benchmark ends.
dotnet bench/Scheduler.Bench/bin/Release/net10.0/Scheduler.Bench.dll --command "bash bench/run.sh $*" "${postgres[@]}" "$@"
