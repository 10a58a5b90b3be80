import Glibc
import Logging

/// Sets up swift-log for sluice: structured journal entries under systemd, readable lines elsewhere.
public enum SluiceLogging {
    /// Whether stderr is the journal stream systemd gave this process (`JOURNAL_STREAM` matches
    /// stderr's device and inode), the documented way for a service to know its output lands in the
    /// journal.
    public static var stderrIsJournal: Bool {
        JournalStream.isConnected(
            fileDescriptor: 2,
            journalStream: getenv("JOURNAL_STREAM").map { String(cString: $0) }
        )
    }

    /// The syslog prefix (`<3>` for error) that makes journald store a line written to stderr at `level`'s priority
    /// (`SyslogLevelPrefix=`, on by default for services) when stderr is the journal, else nothing: a terminal or a
    /// pipe sees the line unchanged. For the lines that bypass logging, such as a command's one-line error.
    public static func stderrPrefix(for level: Logger.Level) -> String {
        stderrIsJournal ? "<\(level.syslogPriority)>" : ""
    }

    /// ``LogDestination/automatic`` decided for this process: `.journal` or `.stderr`.
    public static func resolve(_ destination: LogDestination) -> LogDestination {
        destination == .automatic ? (stderrIsJournal ? .journal : .stderr) : destination
    }

    /// Makes every `Logger` of the process use sluice's handler. Call once, first thing in `main`
    /// (swift-log allows one bootstrap per process); the destination is decided here, once. A metadata
    /// provider (e.g. reading the current job from a task-local) adds its metadata to every entry.
    public static func bootstrap(
        destination: LogDestination = .automatic,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) {
        let destination = resolve(destination)
        LoggingSystem.bootstrap(
            { label, provider in
                makeHandler(label: label, destination: destination, logLevel: logLevel, metadataProvider: provider)
            },
            metadataProvider: metadataProvider
        )
    }

    /// A handler for one logger, for code that builds its `Logger` itself (`Logger(label:factory:)`).
    public static func makeHandler(
        label: String,
        destination: LogDestination = .automatic,
        logLevel: Logger.Level = .info,
        metadataProvider: Logger.MetadataProvider? = nil
    ) -> any LogHandler {
        switch resolve(destination) {
        case .journal:
            JournalLogHandler(label: label, logLevel: logLevel, metadataProvider: metadataProvider)
        case .automatic, .stderr:
            StderrLogHandler(label: label, logLevel: logLevel, metadataProvider: metadataProvider)
        }
    }
}
