# shellcheck shell=bash disable=SC2154,SC2034 # globals are shared with scripts/services
# Helpers shared by scripts/services and its per-service files (sourced, not run).
# Expects: $root (the repo), $state (<repo>/.services), $venv.

why="" # set by a failing readiness wait, read by scripts/services

# One line on stderr, prefixed so it is clear which script spoke.
say() { printf 'services: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

# Milliseconds since the epoch, without forking (bash 5's EPOCHREALTIME).
now_ms() {
    local t=${EPOCHREALTIME/[.,]/}
    echo $((t / 1000))
}
# "1.23 s" for a duration given in milliseconds.
fmt_ms() { printf '%d.%02d s' $(($1 / 1000)) $(($1 % 1000 / 10)); }

# A pid is "ours" only when it is alive (not a zombie) and runs the expected
# binary: a stale pid file whose number was reused by another program must not
# make us report "running", let alone signal that program.
pid_runs() {
    pid_alive "$1" && [[ $(readlink -f "/proc/$1/exe" 2>/dev/null) == "$(readlink -f "$2")" ]]
}

# Alive and not a zombie (`kill -0` succeeds on a zombie).
pid_alive() {
    local stat
    [[ $1 =~ ^[0-9]+$ ]] || return 1
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ ${stat:0:1} != Z ]]
}

# Prints the pid from FILE when that process runs EXE.
pid_from_file() {
    local file=$1 exe=$2 pid
    [[ -r $file ]] || return 1
    read -r pid <"$file" || [[ -n ${pid:-} ]] || return 1
    pid_runs "$pid" "$exe" || return 1
    echo "$pid"
}

# True when something accepts TCP connections on 127.0.0.1:PORT.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Refuses to start a service on a port another program already holds: it
# would fail later with a less clear error, or worse, tests would talk to the
# wrong server.
port_free_or_die() {
    local service=$1 port=$2 var=$3
    if port_open "$port"; then
        die "$service: port $port is already in use by another process (set $var to another port)"
    fi
}

# spawn LOG DIR COMMAND...: starts a daemon in DIR (ArcadeDB, for one,
# writes ./log/ wherever it starts) in its own session (so a Ctrl-C in the
# caller's terminal does not reach it: scripts/test stops it in order
# instead), stdin from /dev/null, stdout and stderr into LOG (truncated: the
# log shows this run), without the lock's descriptor. Prints its pid: the
# subshell execs setsid, which does not fork (it is no process group leader),
# which execs the daemon, so $! is the daemon itself.
spawn() {
    local log=$1 dir=$2
    shift 2
    (cd "$dir" && exec setsid "$@") </dev/null >"$log" 2>&1 9>&- &
    echo $!
}

# Waits until CHECK (a command) succeeds, setting $why when it gives up: early
# when PID (just spawned by us, so its binary is not checked: it may still be
# exec-ing its way there) has exited, or after $SLUICE_SERVICES_TIMEOUT seconds.
await() {
    local pid=$1
    shift
    local deadline=$(($(now_ms) + ${SLUICE_SERVICES_TIMEOUT:-90} * 1000))
    while ! "$@" 2>/dev/null; do
        if ! pid_alive "$pid"; then
            why="the process exited"
            return 1
        fi
        if (($(now_ms) > deadline)); then
            why="not ready after ${SLUICE_SERVICES_TIMEOUT:-90} s"
            return 1
        fi
        sleep 0.2
    done
}

# SIGTERM, wait up to $SLUICE_SERVICES_STOP_TIMEOUT seconds, then SIGKILL.
terminate() {
    local pid=$1 exe=$2 deadline
    pid_runs "$pid" "$exe" || return 0
    kill -TERM "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + ${SLUICE_SERVICES_STOP_TIMEOUT:-20} * 1000))
    while pid_runs "$pid" "$exe"; do
        if (($(now_ms) > deadline)); then
            say "pid $pid did not stop on SIGTERM within ${SLUICE_SERVICES_STOP_TIMEOUT:-20} s: SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 0.2
            break
        fi
        sleep 0.05
    done
}

# The Bolt readiness probe (raw sockets, never GOODBYE: see bolt-probe.py).
bolt_probe() {
    "$venv/bin/python" "$root/scripts/lib/bolt-probe.py" "$@"
}
