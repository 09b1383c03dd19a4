#!/usr/bin/env bash
# Installs what Coalition's demo and tests need on a Debian/Ubuntu machine,
# skipping what is already there:
#   - clickhouse-server and clickhouse-client (Debian's packages), the private
#     server `coalition serve` and the tests start;
#   - with --chdb: libchdb.so (current ClickHouse as a library, from the npm
#     package @chdb/lib-linux-x64-gnu, with Debian's npm where npm is
#     missing) into .deps/chdb, for the tests that check the SQL on current
#     ClickHouse;
#   - with --compose: Debian's docker-compose, which validates the compose file;
#   - with --browser: Debian's chromium, for the dashboard's browser test;
#   - with --cluster: Debian's zookeeper (and a Java runtime), for the tests
#     that run ClickHouse replicas.
set -euo pipefail
cd "$(dirname "$0")/.."

CHDB_VERSION=26.7.3-stable.1
want_chdb=0 want_compose=0 want_browser=0 want_cluster=0
for a in "$@"; do
  case "$a" in
    --chdb) want_chdb=1 ;;
    --compose) want_compose=1 ;;
    --browser) want_browser=1 ;;
    --cluster) want_cluster=1 ;;
    *) echo "deps.sh: unknown option $a" >&2; exit 2 ;;
  esac
done

sudo=""
if [ "$(id -u)" != 0 ]; then sudo="sudo"; fi

pkgs=()
command -v clickhouse-server >/dev/null 2>&1 || [ -x /usr/sbin/clickhouse-server ] || pkgs+=(clickhouse-server clickhouse-client)
if [ "$want_compose" = 1 ]; then command -v docker-compose >/dev/null 2>&1 || pkgs+=(docker-compose); fi
if [ "$want_browser" = 1 ]; then [ -x /usr/bin/chromium ] || pkgs+=(chromium); fi
chdb_lib=.deps/chdb/node_modules/@chdb/lib-linux-x64-gnu/libchdb.so
if [ "$want_chdb" = 1 ] && [ ! -f "$chdb_lib" ]; then command -v npm >/dev/null 2>&1 || pkgs+=(npm); fi
if [ "$want_cluster" = 1 ]; then
  [ -f /usr/share/java/zookeeper.jar ] || pkgs+=(zookeeper)
  command -v java >/dev/null 2>&1 || pkgs+=(default-jre-headless)
fi
if [ ${#pkgs[@]} -gt 0 ]; then
  echo "deps.sh: installing ${pkgs[*]}" >&2
  $sudo apt-get update -q
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${pkgs[@]}"
  # The package may start a system-wide server on the default ports; Coalition
  # runs its own private one, so stop it where a service manager did start it.
  $sudo service clickhouse-server stop >/dev/null 2>&1 || true
  $sudo service zookeeper stop >/dev/null 2>&1 || true
fi

if ! command -v go >/dev/null 2>&1 && [ -x /usr/local/go/bin/go ]; then export PATH=$PATH:/usr/local/go/bin; fi
command -v go >/dev/null 2>&1 || { echo "deps.sh: Go is required (https://go.dev/dl/)" >&2; exit 1; }
go mod download

if [ "$want_chdb" = 1 ]; then
  lib=$chdb_lib
  if [ ! -f "$lib" ]; then
    command -v npm >/dev/null 2>&1 || { echo "deps.sh: npm is required to fetch libchdb.so and could not be installed (apt-get install -y npm)" >&2; exit 1; }
    echo "deps.sh: installing @chdb/lib-linux-x64-gnu@$CHDB_VERSION (about 540 MB)" >&2
    mkdir -p .deps/chdb
    npm install --no-audit --no-fund --no-save --prefix .deps/chdb "@chdb/lib-linux-x64-gnu@$CHDB_VERSION" >&2
  fi
  [ -f "$lib" ] || { echo "deps.sh: $lib missing after install" >&2; exit 1; }
fi
