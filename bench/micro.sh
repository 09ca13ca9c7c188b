#!/usr/bin/env bash
# BenchmarkDotNet micro-benchmarks of the pure planning code (next occurrence, validation, planning 100,000 schedules).
# Arguments go to BenchmarkDotNet, e.g.: bash bench/micro.sh --filter '*DuePlanning*'. Results: BenchmarkDotNet.Artifacts/.
set -euo pipefail
cd "$(dirname "$0")/.."
args=("$@")
[ ${#args[@]} -gt 0 ] || args=(--filter '*')
dotnet run -c Release --project bench/Scheduler.Bench.Micro -- "${args[@]}" --artifacts bench/BenchmarkDotNet.Artifacts
