# Shared by scripts/test, scripts/run and scripts/bench: make sure PostgreSQL (and Redis) answer.
# Order: an explicit DATABASE_URL; a server already on 127.0.0.1:5432; the distribution's cluster
# started; PostgreSQL installed from the distribution's packages and started. Idempotent.

PG_HOST=127.0.0.1
PG_PORT=5432

log() { printf '\033[1m[flightline]\033[0m %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else
    log "need root for: $*"; return 1; fi
}

apt_install() {
  log "installing $* from the distribution's packages"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

pg_up() {
  if command -v pg_isready >/dev/null; then
    pg_isready -q -h "$PG_HOST" -p "$PG_PORT"
  else
    (exec 3<>"/dev/tcp/$PG_HOST/$PG_PORT") 2>/dev/null
  fi
}

ensure_postgres() {
  if [ -n "${DATABASE_URL:-}" ]; then
    return 0
  fi
  if pg_up; then return 0; fi
  if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
    apt_install postgresql postgresql-client
  fi
  local version
  version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
  if [ ! -d "/etc/postgresql/$version/main" ]; then
    as_root pg_createcluster "$version" main >/dev/null
  fi
  # Local development and CI only: trust connections from this machine.
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! grep -q '^host all all 127.0.0.1/32 trust' "$hba" 2>/dev/null; then
    as_root sh -c "printf 'local all all trust\nhost all all 127.0.0.1/32 trust\nhost all all ::1/128 trust\n' > '$hba'"
  fi
  log "starting PostgreSQL $version"
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || as_root pg_ctlcluster "$version" main start
  for _ in $(seq 1 30); do pg_up && return 0; sleep 1; done
  log "PostgreSQL did not come up on $PG_HOST:$PG_PORT"
  return 1
}

ensure_pg_client() {
  command -v pg_dump >/dev/null || apt_install postgresql-client
}

ensure_redis() {
  if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then return 0; fi
  command -v redis-server >/dev/null || apt_install redis-server
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
  for _ in $(seq 1 20); do (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null && return 0; sleep 0.5; done
  log "Redis did not come up"
  return 1
}

# Creates database $1 on the local server if it does not exist.
ensure_database() {
  local name=$1
  if [ -n "${DATABASE_URL:-}" ]; then return 0; fi
  ensure_pg_client
  if ! psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -tAc "select 1 from pg_database where datname = '$name'" postgres | grep -q 1; then
    psql -h "$PG_HOST" -p "$PG_PORT" -U postgres -qc "create database \"$name\"" postgres
  fi
}
