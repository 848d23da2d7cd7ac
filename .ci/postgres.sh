#!/usr/bin/env bash
# Start a throw-away PostgreSQL cluster for tests and benchmarks, installing the server from
# Debian packages when the machine has none. Prints the database URL on its last line.
# Usage: .ci/postgres.sh [DIR] [PORT] [durable]
# Tests run without fsync for speed; "durable" keeps PostgreSQL's production defaults
# (fsync, synchronous commit), which the benchmark uses so that it measures real commits.
set -euo pipefail

dir="${1:-/tmp/simreg-pg}"
port="${2:-55432}"
mode="${3:-fast}"
options="-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200"
if [[ "$mode" != "durable" ]]; then
  options+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

find_bin() {
  local found
  found="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [[ -n "$found" && -x "$found/pg_ctl" ]]; then echo "$found"; return 0; fi
  return 1
}

if ! bin="$(find_bin)"; then
  echo "installing PostgreSQL from Debian packages" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin="$(find_bin)"
fi

# initdb refuses to run as root: the cluster belongs to an unprivileged account.
run_as=()
if [[ "$(id -u)" == "0" ]]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  run_as=(runuser -u postgres --)
fi

if [[ -f "$dir/postmaster.pid" ]]; then
  "${run_as[@]}" "$bin/pg_ctl" -D "$dir" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$dir"
mkdir -p "$dir"
[[ "$(id -u)" == "0" ]] && chown postgres "$dir"
"${run_as[@]}" "$bin/initdb" -D "$dir" -U simreg --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
"${run_as[@]}" "$bin/pg_ctl" -D "$dir" -l "$dir/server.log" -w \
  -o "$options" \
  start >/dev/null
"$bin/createdb" -h 127.0.0.1 -p "$port" -U simreg simreg
echo "postgresql://simreg@127.0.0.1:$port/simreg"
