# Start PostgreSQL and Redis for the second test pass and the production topology.
# Sourced by scripts/test and scripts/prod-local. Sets SIYU_PG_URL and SIYU_REDIS_TEST_URL
# when the services are up; returns non-zero when they cannot be started.
# As root (CI and the dev machines) it installs what is missing with apt.

REDIS_PORT=${SIYU_TEST_REDIS_PORT:-6399}

_apt_install() {
  [ "$(id -u)" = 0 ] || return 1
  if [ -z "${_SIYU_APT_UPDATED:-}" ]; then
    apt-get update -qq >/dev/null 2>&1 || true
    _SIYU_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

start_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    _apt_install postgresql || return 1
  fi
  if [ "$(id -u)" = 0 ]; then
    service postgresql start >/dev/null 2>&1 || return 1
    for _ in $(seq 1 30); do
      su postgres -c "psql -tAc 'select 1'" >/dev/null 2>&1 && break
      sleep 1
    done
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
