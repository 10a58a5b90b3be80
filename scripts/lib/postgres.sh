# shellcheck shell=bash disable=SC2154,SC2034 # globals come from scripts/services and the files it sources before this one
# postgres: Debian's PostgreSQL 15 as user `postgres` (it refuses to run as
# root), data in .services/pg/data, socket in .services/pg, TCP on 127.0.0.1.

pg_bin=/usr/lib/postgresql/15/bin
pg_port=${SLUICE_PG_PORT:-54329}
pg_dir=$state/pg
pg_data=$pg_dir/data
pg_password=sluice-test

postgres_log() { echo "$state/postgres.log"; }
postgres_port() { echo "port $pg_port, socket $pg_dir"; }

as_postgres() { runuser -u postgres -- "$@"; }

postgres_pid() {
    local pid
    # postmaster.pid's first line is the postmaster's pid (root may read it).
    pid=$(pid_from_file "$pg_data/postmaster.pid" "$pg_bin/postgres") || return 1
    echo "$pid"
}

postgres_ready() {
    "$pg_bin/pg_isready" -q -h "$pg_dir" -p "$pg_port" -d postgres &&
        "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "$pg_port" -d postgres
}

# The `postgres` user must be able to reach .services/pg: every parent
# directory needs o+x. A checkout under /root (0700) would otherwise fail
# with a confusing "permission denied" from initdb.
postgres_make_reachable() {
    local dir=$state
    while [[ $dir != / ]]; do
        dir=$(dirname "$dir")
        if ! as_postgres test -x "$dir"; then
            say "postgres: making $dir traversable (chmod o+x) so user postgres can reach $pg_dir"
            chmod o+x "$dir"
        fi
    done
}

postgres_init() {
    # A Unix socket path is limited to 107 bytes; say so instead of failing obscurely.
    local sock="$pg_dir/.s.PGSQL.$pg_port"
    ((${#sock} <= 107)) || die "postgres: socket path too long (${#sock} > 107 bytes): $sock; clone the repo to a shorter path"
    [[ -x $pg_bin/initdb ]] || die "postgres: $pg_bin/initdb not found (run scripts/setup)"
    mkdir -p "$pg_dir"
    chown postgres:postgres "$pg_dir"
    chmod 0755 "$pg_dir" # others may reach the socket; data/ itself stays 0700
    postgres_make_reachable
    [[ -f $pg_data/PG_VERSION ]] && return 0
    say "postgres: initdb $pg_data"
    rm -rf "$pg_data"
    as_postgres "$pg_bin/initdb" -D "$pg_data" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$(postgres_log)" 2>&1 ||
        die "postgres: initdb failed; log: $(postgres_log)"
    # Socket: trust (the tests run as root and as other users); TCP: passwords.
    cat >"$pg_data/pg_hba.conf" <<'EOF'
# written by scripts/services
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
EOF
    # A throw-away test cluster: no fsync (only an OS crash would lose data,
    # a killed postgres does not), but commits stay synchronous so a
    # "restart Postgres" test sees every committed row.
    cat >>"$pg_data/postgresql.conf" <<'EOF'

# scripts/services: test cluster settings
fsync = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
EOF
    chown postgres:postgres "$pg_data/pg_hba.conf" "$pg_data/postgresql.conf"
}

postgres_launch() {
    postgres_init
    port_free_or_die postgres "$pg_port" SLUICE_PG_PORT
    local log
    log=$(postgres_log)
    : >"$log"
    chown postgres:postgres "$log"
    # Port and socket come from the command line, so a changed SLUICE_PG_PORT
    # takes effect on the next start without editing the config. -W: do not
    # wait here, postgres_wait does (and other services start meanwhile).
    as_postgres "$pg_bin/pg_ctl" start -W -D "$pg_data" -l "$log" \
        -o "-c port=$pg_port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$pg_dir'" \
        >/dev/null 9>&- || return 1
}

postgres_wait() {
    local deadline=$(($(now_ms) + 15000)) pid
    # pg_ctl returns before the postmaster has written its pid file.
    until pid=$(postgres_pid); do
        if (($(now_ms) > deadline)); then
            why="no postmaster.pid after 15 s"
            return 1
        fi
        sleep 0.1
    done
    await "$pid" postgres_ready || return 1
    # Idempotent: the role's password and rights are reset on every start.
    "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "$pg_dir" -p "$pg_port" -U postgres -d postgres \
        >>"$(postgres_log)" 2>&1 <<EOF || { why="creating role and database sluice failed"; return 1; }
SELECT 'CREATE ROLE sluice' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice') \gexec
ALTER ROLE sluice LOGIN CREATEDB PASSWORD '$pg_password';
SELECT 'CREATE DATABASE sluice OWNER sluice' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'sluice') \gexec
EOF
}

postgres_stop() {
    local pid
    pid=$(postgres_pid) || return 0
    as_postgres "$pg_bin/pg_ctl" stop -D "$pg_data" -m fast -w -t "${SLUICE_SERVICES_STOP_TIMEOUT:-20}" \
        >/dev/null 2>&1 || true
    terminate "$pid" "$pg_bin/postgres" # a no-op unless pg_ctl gave up
}

postgres_env() {
    cat <<EOF
export PGHOST=$(printf %q "$pg_dir")
export PGPORT=$pg_port
export PGUSER=sluice
export PGDATABASE=sluice
export SLUICE_TEST_PG_TCP_URL=postgresql://sluice@127.0.0.1:$pg_port/sluice
export SLUICE_TEST_PG_PASSWORD=$pg_password
EOF
}
