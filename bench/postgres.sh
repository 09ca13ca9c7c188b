#!/usr/bin/env bash
# Sourced by bench/run.sh: starts Debian's PostgreSQL for the Quartz.NET peer on a free loopback port in a temporary
# data directory, exports BENCH_POSTGRES (a connection string) and stops and removes it on exit. Without PostgreSQL
# binaries it says so and leaves BENCH_POSTGRES unset: the bench then reports the AdoJobStore peer as not run.
# fsync and synchronous_commit are off: the peer's best case, as Azurite runs in memory for us.
pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [ -z "$pg_bin" ] || [ ! -x "$pg_bin/initdb" ]; then
  echo "PostgreSQL not found under /usr/lib/postgresql (apt install postgresql): the Quartz.NET AdoJobStore peer is skipped" >&2
  return 0
fi
pg_dir=$(mktemp -d /tmp/bench-pg.XXXXXX)
pg_port=$(node -e 'const s=require("net").createServer();s.listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
as_pg=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$pg_dir"
  as_pg=(runuser -u postgres --)
fi
pg_stop() {
  "${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$pg_dir"
}
trap pg_stop EXIT
"${as_pg[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/log" -w \
  -o "-p $pg_port -k $pg_dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c max_connections=200" start >/dev/null
export BENCH_POSTGRES="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=postgres"
echo "PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on 127.0.0.1:$pg_port (data in $pg_dir, removed on exit)"
