import Logging
import Synchronization

/// The daemon's log level, changed by SIGHUP: swift-log fixes a handler's level when a `Logger` is made, so the
/// handlers the daemon installs read it from here on every entry instead.
public final class ReloadableLogLevel: Sendable {
    private let level: Mutex<Logger.Level>

    public init(_ level: Logger.Level) {
        self.level = Mutex(level)
    }

    public var value: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }

    /// Wraps `handler` so that it follows this level (unless a caller sets a level of its own on a logger).
    public func handler(wrapping handler: any LogHandler) -> any LogHandler {
        var base = handler
        base.logLevel = .trace
        return Handler(base: base, level: self)
    }

    private struct Handler: LogHandler {
        var base: any LogHandler
        let level: ReloadableLogLevel
        var overridden: Logger.Level?

        init(base: any LogHandler, level: ReloadableLogLevel) {
            self.base = base
            self.level = level
        }

        var logLevel: Logger.Level {
            get { overridden ?? level.value }
            set { overridden = newValue }
        }

        var metadata: Logger.Metadata {
            get { base.metadata }
            set { base.metadata = newValue }
        }

        var metadataProvider: Logger.MetadataProvider? {
            get { base.metadataProvider }
            set { base.metadataProvider = newValue }
        }

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { base[metadataKey: key] }
            set { base[metadataKey: key] = newValue }
        }

        func log(event: LogEvent) {
            base.log(event: event)
        }
    }
}
