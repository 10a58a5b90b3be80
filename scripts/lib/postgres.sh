# shellcheck shell=bash disable=SC2154,SC2034 # globals come from scripts/services and the files it sources before this one
# postgres and postgres-outage: two clusters of Debian's PostgreSQL 15, run as
# user `postgres` (it refuses to run as root), TCP on 127.0.0.1, each with its
# data in .services/<dir>/data and its socket in .services/<dir>, both with
# the role and database `sluice`. Every suite shares `postgres`; only the
# tests that stop or restart Postgres to prove an outage is survived use
# `postgres-outage`, so the other suites running meanwhile keep theirs.
# The shared cluster also accepts TLS (not required: libpq's default `prefer`
# uses it) with a certificate for `localhost` from the test CA of tls.sh, so a
# test can connect with `sslmode=verify-full` and be refused with another CA
# or host name.
# scripts/services calls CLUSTER_log, _port, _pid, _ready, _launch, _wait,
# _stop and _env; each is pg_<the same> with the cluster's name (end of file).

pg_bin=/usr/lib/postgresql/15/bin
pg_password=sluice-test
declare -A pg_dirs=([postgres]=$state/pg [postgres-outage]=$state/pg-outage)
# Both default ports are below Linux's ephemeral range (32768-60999): a port
# in it can be the local end of any outgoing connection on the machine, and
# the outage tests restart their cluster while hundreds of test connections
# come and go (a CI run's restart failed with "Address already in use").
declare -A pg_ports=([postgres]=${SLUICE_PG_PORT:-15329} [postgres-outage]=${SLUICE_PG_OUTAGE_PORT:-15330})
declare -A pg_port_variables=([postgres]=SLUICE_PG_PORT [postgres-outage]=SLUICE_PG_OUTAGE_PORT)

as_postgres() { runuser -u postgres -- "$@"; }

pg_log() { echo "$state/$1.log"; }
pg_port() { echo "port ${pg_ports[$1]}, socket ${pg_dirs[$1]}"; }

pg_pid() {
    local pid
    # postmaster.pid's first line is the postmaster's pid (root may read it).
    pid=$(pid_from_file "${pg_dirs[$1]}/data/postmaster.pid" "$pg_bin/postgres") || return 1
    echo "$pid"
}

pg_ready() {
    "$pg_bin/pg_isready" -q -h "${pg_dirs[$1]}" -p "${pg_ports[$1]}" -d postgres &&
        "$pg_bin/pg_isready" -q -h 127.0.0.1 -p "${pg_ports[$1]}" -d postgres
}

# The `postgres` user must be able to reach .services/<dir>: every parent
# directory needs o+x. A checkout under /root (0700) would otherwise fail
# with a confusing "permission denied" from initdb.
pg_make_reachable() {
    local dir=$state
    while [[ $dir != / ]]; do
        dir=$(dirname "$dir")
        if ! as_postgres test -x "$dir"; then
            say "postgres: making $dir traversable (chmod o+x) so user postgres can reach $state"
            chmod o+x "$dir"
        fi
    done
}

# The cluster's directories, and its data directory on the first start only.
pg_init() {
    local cluster=$1 dir=${pg_dirs[$1]} data=${pg_dirs[$1]}/data log
    log=$(pg_log "$cluster")
    # A Unix socket path is limited to 107 bytes; say so instead of failing obscurely.
    local sock="$dir/.s.PGSQL.${pg_ports[$cluster]}"
    ((${#sock} <= 107)) || die "$cluster: socket path too long (${#sock} > 107 bytes): $sock; clone the repo to a shorter path"
    [[ -x $pg_bin/initdb ]] || die "$cluster: $pg_bin/initdb not found (run scripts/setup)"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    chmod 0755 "$dir" # others may reach the socket; data/ itself stays 0700
    pg_make_reachable
    [[ -f $data/PG_VERSION ]] && return 0
    say "$cluster: initdb $data"
    rm -rf "$data"
    as_postgres "$pg_bin/initdb" -D "$data" -U postgres --encoding=UTF8 --locale=C.UTF-8 \
        --auth-local=trust --auth-host=scram-sha-256 >"$log" 2>&1 ||
        die "$cluster: initdb failed; log: $log"
    # Socket: trust (the tests run as root and as other users); TCP: passwords.
    cat >"$data/pg_hba.conf" <<'CONF'
# written by scripts/services
local   all   all                  trust
host    all   all   127.0.0.1/32   scram-sha-256
host    all   all   ::1/128        scram-sha-256
CONF
    # A throw-away test cluster: no fsync (only an OS crash would lose data,
    # a killed postgres does not), but commits stay synchronous so a
    # "restart Postgres" test sees every committed row.
    cat >>"$data/postgresql.conf" <<'CONF'

# scripts/services: test cluster settings
fsync = off
full_page_writes = off
log_line_prefix = '%m [%p] %q%u@%d '
CONF
    chown postgres:postgres "$data/pg_hba.conf" "$data/postgresql.conf"
}

# -c options for the shared cluster's TLS: the test CA's server certificate,
# copied where user postgres may read it (the key must be its own and 0600).
pg_tls_options() {
    local dir=${pg_dirs[$1]}
    [[ $1 == postgres ]] || return 0
    tls_make_certs
    install -o postgres -g postgres -m 0644 "$tls_dir/server.pem" "$dir/server.pem"
    install -o postgres -g postgres -m 0600 "$tls_dir/server.key" "$dir/server.key"
    echo "-c ssl=on -c ssl_cert_file='$dir/server.pem' -c ssl_key_file='$dir/server.key'"
}

pg_launch() {
    local cluster=$1 dir=${pg_dirs[$1]} port=${pg_ports[$1]} log tls
    pg_init "$cluster"
    tls=$(pg_tls_options "$cluster")
    port_free_or_die "$cluster" "$port" "${pg_port_variables[$cluster]}"
    log=$(pg_log "$cluster")
    : >"$log"
    chown postgres:postgres "$log"
    # Port and socket come from the command line, so a changed port variable
    # takes effect on the next start without editing the config. -W: do not
    # wait here, pg_wait does (and other services start meanwhile).
    as_postgres "$pg_bin/pg_ctl" start -W -D "$dir/data" -l "$log" \
        -o "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories='$dir' $tls" \
        >/dev/null 9>&- || return 1
}

pg_wait() {
    local cluster=$1 deadline=$(($(now_ms) + 15000)) pid
    # pg_ctl returns before the postmaster has written its pid file.
    until pid=$(pg_pid "$cluster"); do
        if (($(now_ms) > deadline)); then
            why="no postmaster.pid after 15 s"
            return 1
        fi
        sleep 0.1
    done
    await "$pid" pg_ready "$cluster" || return 1
    # Idempotent: the role's password and rights are reset on every start, and
    # a read-only test that died half-way leaves no read-only cluster behind.
    PGOPTIONS="-c default_transaction_read_only=off" \
        "$pg_bin/psql" -X -q -v ON_ERROR_STOP=1 -h "${pg_dirs[$cluster]}" -p "${pg_ports[$cluster]}" -U postgres \
        -d postgres >>"$(pg_log "$cluster")" 2>&1 <<SQL || { why="creating role and database sluice failed"; return 1; }
ALTER SYSTEM RESET default_transaction_read_only;
SELECT pg_reload_conf();
SELECT 'CREATE ROLE sluice' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sluice') \gexec
ALTER ROLE sluice LOGIN CREATEDB PASSWORD '$pg_password';
SELECT 'CREATE DATABASE sluice OWNER sluice' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'sluice') \gexec
SQL
}

pg_stop() {
    local pid
    pid=$(pg_pid "$1") || return 0
    as_postgres "$pg_bin/pg_ctl" stop -D "${pg_dirs[$1]}/data" -m fast -w -t "${SLUICE_SERVICES_STOP_TIMEOUT:-20}" \
        >/dev/null 2>&1 || true
    terminate "$pid" "$pg_bin/postgres" # a no-op unless pg_ctl gave up
}

# The shared cluster is libpq's default (PG* variables), so psql and sluice
# find it unasked; the outage cluster only has variables of its own.
pg_env() {
    local dir port=${pg_ports[$1]}
    dir=$(printf %q "${pg_dirs[$1]}")
    if [[ $1 == postgres-outage ]]; then
        echo "export SLUICE_TEST_PG_OUTAGE_HOST=$dir"
        echo "export SLUICE_TEST_PG_OUTAGE_PORT=$port"
        return
    fi
    cat <<ENV
export PGHOST=$dir
export PGPORT=$port
export PGUSER=sluice
export PGDATABASE=sluice
export SLUICE_TEST_PG_TCP_URL=postgresql://sluice@127.0.0.1:$port/sluice
export SLUICE_TEST_PG_PASSWORD=$pg_password
export SLUICE_TEST_PG_TLS_CA=$(printf %q "$tls_dir/ca.pem")
export SLUICE_TEST_PG_TLS_OTHER_CA=$(printf %q "$tls_dir/other-ca.pem")
ENV
}

for cluster in "${!pg_dirs[@]}"; do
    for operation in log port pid ready launch wait stop env; do
        eval "$cluster"_"$operation"'() { pg_'"$operation"' '"$cluster"'; }'
    done
done
unset cluster operation
