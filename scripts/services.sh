# Start PostgreSQL and Redis for the second test pass and the production topology.
# Sourced by scripts/test and scripts/prod-local. Sets SIYU_PG_URL and SIYU_REDIS_TEST_URL
# when the services are up; returns non-zero when they cannot be started.
# As root (CI and the dev machines) it installs what is missing with apt.

REDIS_PORT=${SIYU_TEST_REDIS_PORT:-6399}

_apt_install() {
  # Three tries, each after a fresh `apt-get update`: a mirror's hiccup or another dpkg holding the lock
  # should not fail a whole CI run. The log's tail is printed when all three fail.
  [ "$(id -u)" = 0 ] || return 1
  local log=${TMPDIR:-/tmp}/siyu-apt.log attempt
  for attempt in 1 2 3; do
    if [ -z "${_SIYU_APT_UPDATED:-}" ] || [ "$attempt" -gt 1 ]; then
      apt-get update -qq >>"$log" 2>&1 || true
      _SIYU_APT_UPDATED=1
    fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=120 "$@" >>"$log" 2>&1 &&
      return 0
    sleep $((attempt * 10))
  done
  echo "apt-get install $* failed three times; the end of $log:" >&2
  tail -n 20 "$log" >&2
  return 1
}

_pg_ready() {
  su postgres -c "psql -tAc 'select 1'" >/dev/null 2>&1
}

_pg_wait() {
  # Waits until the server answers. pg_ctl (and so `service postgresql start`) gives up after 60 s, but
  # a server stopped uncleanly goes on replaying its WAL after that, and a machine restored from a
  # snapshot of a busy one can need minutes; a cluster that is down (not recovering) is started again.
  local waited=0 starts=1
  until _pg_ready; do
    if [ "$waited" -ge "${SIYU_PG_START_SECONDS:-900}" ]; then
      echo "PostgreSQL did not answer within ${waited} s:" >&2
      pg_lsclusters >&2 2>/dev/null || true
      tail -n 15 /var/log/postgresql/postgresql-*-main.log >&2 2>/dev/null || true
      return 1
    fi
    if [ $((waited % 30)) = 0 ] && [ "$waited" -gt 0 ]; then
      if pg_lsclusters -h 2>/dev/null | grep -q ' down '; then
        [ "$starts" -ge 3 ] && { waited=${SIYU_PG_START_SECONDS:-900}; continue; }
        echo "PostgreSQL is down after ${waited} s: starting it again" >&2
        service postgresql start >/dev/null 2>&1 || true
        starts=$((starts + 1))
      else
        echo "PostgreSQL not answering yet after ${waited} s (recovering?): waiting" >&2
      fi
    fi
    sleep 2
    waited=$((waited + 2))
  done
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    _apt_install postgresql || return 1
  fi
  if [ "$(id -u)" = 0 ]; then
    if ! _pg_ready; then
      service postgresql start >/dev/null 2>&1 || echo "service postgresql start: not up within its 60 s" >&2
      _pg_wait || return 1
    fi
    su postgres -c "psql -tAc \"select 1 from pg_roles where rolname='siyu'\"" | grep -q 1 ||
      su postgres -c "psql -qc \"create role siyu login superuser password 'siyu'\"" || return 1
    for name in siyu_test siyu; do
      su postgres -c "psql -tAc \"select 1 from pg_database where datname='$name'\"" | grep -q 1 ||
        su postgres -c "createdb -O siyu $name" || return 1
    done
    SIYU_PG_URL=postgresql+psycopg://siyu:siyu@127.0.0.1:5432/siyu_test
    export SIYU_PG_URL
    return 0
  fi
  [ -n "${SIYU_TEST_DATABASE_URL:-}" ] && SIYU_PG_URL=$SIYU_TEST_DATABASE_URL && return 0
  return 1
}

start_redis() {
  command -v redis-server >/dev/null 2>&1 || _apt_install redis-server || return 1
  mkdir -p .redis
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
      --daemonize yes --pidfile "$PWD/.redis/redis.pid" --dir "$PWD/.redis" \
      --logfile "$PWD/.redis/redis.log" >/dev/null || return 1
    for _ in $(seq 1 30); do redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break; sleep 0.2; done
  fi
  redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 || return 1
  SIYU_REDIS_TEST_URL=redis://127.0.0.1:$REDIS_PORT/0
  export SIYU_REDIS_TEST_URL
}

ensure_chromium() {
  # fonts-wqy-microhei: a CJK font, so screenshots show Chinese instead of boxes
  if command -v chromium >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi -e wqy -e cjk -e noto; then
    return 0
  fi
  _apt_install chromium fonts-wqy-microhei || true
  command -v chromium >/dev/null 2>&1
}

warm_postgres() {
  # Starts the server in the background early (scripts/test, before the embedded pass), so that a
  # crash recovery overlaps the first pass instead of delaying the second; start_postgres waits for it.
  [ "$(id -u)" = 0 ] && command -v pg_lsclusters >/dev/null 2>&1 || return 0
  _pg_ready || (service postgresql start >/dev/null 2>&1 &)
}
