#!/usr/bin/env bash
# The reliability soak: the same scenarios as the CI tests, longer and harder (30 kills, 3 outages, 3 minutes of
# 4 hosts, 1,000 fuzzed entries for 3 minutes, 2 minutes of hostile rows). Writes its figures to
# docs/reliability-soak.md; exits 1 on any defect.
#   bash scripts/soak.sh                 # all scenarios, soak size (about 30 minutes)
#   bash scripts/soak.sh quick           # the CI size
#   bash scripts/soak.sh soak --only crash,outage
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules/azurite ] || npm ci --no-audit --no-fund
dotnet build tests/Scheduler.Reliability -c Release -nologo -v quiet
size="${1:-soak}"
shift || true
exec dotnet tests/Scheduler.Reliability/bin/Release/net10.0/Scheduler.Reliability.dll "$size" --report "docs/reliability-$size.md" "$@"
