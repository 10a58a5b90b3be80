/// Where sluice's log entries go.
public enum LogDestination: Sendable, Equatable {
    /// The journal when stderr is connected to it (run by systemd), stderr lines otherwise.
    case automatic
    /// Structured entries to the journal, e.g. when a wrapper hides `JOURNAL_STREAM`.
    case journal
    /// Readable lines on stderr.
    case stderr
}
