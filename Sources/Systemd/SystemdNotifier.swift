import CSystemd
import Glibc

/// Tells systemd about the daemon's state through libsystemd's `sd_notify` (unit `Type=notify`).
///
/// Outside systemd (no `NOTIFY_SOCKET` when the notifier was made) every call returns at once
/// without formatting anything, so callers need no checks of their own. A value type with no mutable
/// state: `sd_notify` opens a fresh socket per call, so a notifier may be used from any thread.
///
/// The environment is left as it is (`unset_environment` 0): the daemon notifies for its whole life
/// (STATUS= every batch, WATCHDOG=1, STOPPING=1 at the end), and libsystemd reads `NOTIFY_SOCKET`
/// on every call, so unsetting it after the first call would silence all later ones.
/// `WATCHDOG_USEC` stays too, so it can be read again. A child process the daemon may start inherits
/// the variables; systemd accepts notifications only from the main process (`NotifyAccess=main`,
/// the default), so a child's would be ignored, and whoever starts one should remove them from its
/// environment.
public struct SystemdNotifier: Sendable {
    /// Whether systemd listens (`NOTIFY_SOCKET` was set and not empty when the notifier was made).
    public let isEnabled: Bool
    /// The watchdog timeout systemd enforces for this process (`WatchdogSec=`), or nil when the
    /// watchdog is off or meant for another process. Ping with `.watchdog` at half of it.
    public let watchdogInterval: Duration?

    /// A notifier for the service manager named by this process's environment.
    public init() {
        isEnabled = getenv("NOTIFY_SOCKET").map { $0.pointee != 0 } ?? false
        var microseconds: UInt64 = 0
        watchdogInterval = sd_watchdog_enabled(0, &microseconds) > 0 ? .microseconds(microseconds) : nil
    }

    /// Sends the notifications in one datagram, so systemd applies them together (e.g. READY=1 with
    /// the first STATUS=).
    public func send(_ notifications: SystemdNotification...) throws {
        try send(notifications)
    }

    /// Sends the notifications in one datagram, so systemd applies them together.
    public func send(_ notifications: [SystemdNotification]) throws {
        guard isEnabled, !notifications.isEmpty else { return }
        let message = notifications.map(\.text).joined(separator: "\n")
        let result = sd_notify(0, message)
        if result < 0 {
            throw SystemdNotifierError.sendFailed(message: message, errno: -result)
        }
    }
}
