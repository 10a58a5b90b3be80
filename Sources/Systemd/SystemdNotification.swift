import Glibc

/// One state change or piece of information for systemd's service manager (sd_notify(3)).
///
/// Each case renders as the exact `KEY=value` lines systemd expects, so the text is testable without
/// systemd and every sender agrees on it.
public enum SystemdNotification: Sendable, Hashable {
    /// `READY=1`: start-up finished. Send it once the configuration is valid and the daemon can work
    /// (or wait for an outage to pass), and again after a reload has finished.
    case ready
    /// `RELOADING=1` with `MONOTONIC_USEC=`: a reload started (send `.ready` when it is done).
    /// systemd 253 and later require the timestamp to match the reload to its request; older
    /// versions ignore it. Use ``reloadingNow`` to stamp it with the current time.
    case reloading(monotonicMicroseconds: UInt64)
    /// `STOPPING=1`: shutdown started.
    case stopping
    /// `STATUS=`: the one line `systemctl status` shows. Line breaks are replaced by spaces (a
    /// newline would end the assignment). It must never contain a secret: the journal and every
    /// user allowed to run `systemctl status` can read it.
    case status(String)
    /// `WATCHDOG=1`: the service is alive. Send it only after checking that the work actually
    /// progresses, at half of ``SystemdNotifier/watchdogInterval``.
    case watchdog
    /// `EXTEND_TIMEOUT_USEC=`: the current start, reload or stop needs at least this much longer
    /// (from now), e.g. while a slow batch finishes during a stop. Repeat it before it runs out.
    case extendTimeout(Duration)

    /// A reload starting now, stamped with `CLOCK_MONOTONIC` as systemd expects.
    public static var reloadingNow: SystemdNotification {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return .reloading(monotonicMicroseconds: UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000)
    }

    /// The assignment lines, without a trailing newline, as sent on the notification socket.
    public var text: String {
        switch self {
        case .ready:
            "READY=1"
        case .reloading(let microseconds):
            "RELOADING=1\nMONOTONIC_USEC=\(microseconds)"
        case .stopping:
            "STOPPING=1"
        case .status(let line):
            "STATUS=" + String(line.map { $0.isNewline ? " " : $0 })
        case .watchdog:
            "WATCHDOG=1"
        case .extendTimeout(let duration):
            "EXTEND_TIMEOUT_USEC=\(duration.wholeMicroseconds)"
        }
    }
}

extension Duration {
    /// The duration in whole microseconds (rounded down, never negative), the unit of systemd's `*_USEC`.
    var wholeMicroseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0, attoseconds >= 0 else { return 0 }
        return UInt64(seconds) * 1_000_000 + UInt64(attoseconds / 1_000_000_000_000)
    }
}
