# shellcheck shell=bash disable=SC2154 # globals come from scripts/services and the files it sources before this one
# journald: a standalone systemd-journald, so code calling libsystemd's
# sd_journal_send (and the stdout stream protocol) has a real journal to write
# to, read back with `journalctl --directory "$SLUICE_TEST_JOURNAL"`.
#
# Never boot systemd for this (its tmpfiles would empty /tmp): journald runs
# alone. It needs no socket activation: without LISTEN_FDS it creates and
# binds /run/systemd/journal/{socket,stdout,dev-log,io.systemd.journal}
# itself. Those paths are fixed (libsystemd only knows them), so they are the
# host's. Everything else is kept private by running it in its own mount
# namespace, where:
#   /etc/systemd     <- .services/journald/etc (only our journald.conf)
#   /run/log         <- .services/journald/run  (journal files land here)
#   /var/log/journal <- .services/journald/var  (empty; persistent storage is off anyway)
# /dev/log is not touched (that symlink is made by a socket unit, not journald).
#
# If some other journald already runs (a booted systemd, another checkout's),
# it is reused and never stopped by us.

journald_bin=/lib/systemd/systemd-journald
journald_dir=$state/journald
journald_socket=/run/systemd/journal/socket

journald_log() { echo "$state/journald.log"; }
journald_port() {
    if journald_own_pid >/dev/null; then
        echo "socket $journald_socket"
    else
        echo "socket $journald_socket, a journald not started here"
    fi
}

journald_own_pid() { pid_from_file "$state/journald.pid" "$journald_bin"; }

# A journald we did not start that serves our /run/systemd/journal/socket, if
# any. The socket must be the very file that journald sees (same device and
# inode through /proc/PID/root): a systemd-sandbox's journald also shows up
# in our /proc, but serves a socket in the sandbox's private /run.
journald_foreign_pid() {
    local pid own sock
    sock=$(stat -L -c %d:%i "$journald_socket" 2>/dev/null) || return 1
    own=$(journald_own_pid) || own=""
    for pid in $(pgrep -x systemd-journal 2>/dev/null); do
        if [[ $pid != "$own" ]] && pid_runs "$pid" "$journald_bin" &&
            [[ $(stat -L -c %d:%i "/proc/$pid/root$journald_socket" 2>/dev/null) == "$sock" ]]; then
            echo "$pid"
            return 0
        fi
    done
    return 1
}

journald_pid() { journald_own_pid || journald_foreign_pid; }

# Where `journalctl --directory` finds the entries of the journald that runs.
# /proc/PID/root sees that process's mount namespace, so this also works for
# another checkout's journald (whose /run/log is a bind mount we cannot see).
journald_directory() {
    local pid dir
    if journald_own_pid >/dev/null; then
        echo "$journald_dir/run/journal"
        return 0
    fi
    pid=$(journald_foreign_pid) || return 1
    for dir in "/proc/$pid/root/run/log/journal" "/proc/$pid/root/var/log/journal"; do
        if [[ -n $(find "$dir" -name '*.journal' -print -quit 2>/dev/null) ]]; then
            echo "$dir"
            return 0
        fi
    done
    return 1
}

# An entry with a unique field goes in through the native protocol (what
# sd_journal_send uses) and must come back out of journalctl.
journald_ready() {
    local dir token
    [[ -S $journald_socket ]] || return 1
    dir=$(journald_directory) || return 1
    token=probe-$$-$RANDOM
    printf 'MESSAGE=scripts/services readiness probe\nSLUICE_SERVICES_PROBE=%s\n' "$token" |
        logger --journald || return 1
    journalctl --sync 2>/dev/null || true # only flushes; entries are readable anyway
    [[ -n $(journalctl --directory "$dir" --no-pager -q -o cat "SLUICE_SERVICES_PROBE=$token") ]]
}

journald_launch() {
    local pid
    if pid=$(journald_foreign_pid); then
        say "journald: reusing the journald that already runs (pid $pid)"
        return 0
    fi
    [[ -x $journald_bin ]] || die "journald: $journald_bin not found"
    command -v unshare >/dev/null || die "journald: unshare (util-linux) not found"
    # A fresh journal each start: tests read back what this run wrote.
    rm -rf "$journald_dir/run"
    mkdir -p "$journald_dir/etc" "$journald_dir/run" "$journald_dir/var" /run/log
    # Volatile storage (files under /run/log, i.e. ours), nothing forwarded
    # anywhere, no kernel log, and no rate limit: a test may log a burst and
    # expects to read back every entry.
    cat >"$journald_dir/etc/journald.conf" <<'EOF'
# written by scripts/services
[Journal]
Storage=volatile
RuntimeMaxUse=64M
ReadKMsg=no
Audit=no
ForwardToSyslog=no
ForwardToKMsg=no
ForwardToConsole=no
ForwardToWall=no
RateLimitIntervalSec=0
EOF
    # shellcheck disable=SC2016 # $1.. expand in the inner shell
    spawn "$(journald_log)" "$journald_dir" unshare --mount --propagation private -- /bin/sh -c '
        set -e
        mount --bind "$1" /etc/systemd
        mount --bind "$2" /run/log
        if [ -d /var/log/journal ]; then mount --bind "$3" /var/log/journal; fi
        exec "$4"' sh "$journald_dir/etc" "$journald_dir/run" "$journald_dir/var" "$journald_bin" \
        >"$state/journald.pid"
}

journald_wait() {
    local pid
    if ! journald_own_pid >/dev/null && pid=$(journald_foreign_pid); then
        await "$pid" journald_ready
        return
    fi
    await "$(cat "$state/journald.pid")" journald_ready
}

journald_stop() {
    local pid
    pid=$(journald_own_pid) || return 0
    terminate "$pid" "$journald_bin"
    # journald leaves its sockets behind; stale ones would make clients see a
    # journal that is not there (ECONNREFUSED instead of ENOENT). Only when no
    # other journald runs: then the directory is nobody's. Its contents, not
    # the directory: under .ci/run it is a mount point, which rm cannot remove.
    if ! journald_foreign_pid >/dev/null; then
        find /run/systemd/journal -mindepth 1 -delete 2>/dev/null || true
    fi
}

journald_env() {
    local dir
    dir=$(journald_directory) || return 0
    echo "export SLUICE_TEST_JOURNAL=$(printf %q "$dir")"
}
