import Logging

extension Logger.Level {
    /// The syslog priority the journal's `PRIORITY` field takes (0 emerg ... 7 debug), so
    /// `journalctl -p warning` and the colours of `journalctl` work. swift-log has no emergency or
    /// alert, and `trace` shares debug's 7.
    var syslogPriority: Int {
        switch self {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }
}
