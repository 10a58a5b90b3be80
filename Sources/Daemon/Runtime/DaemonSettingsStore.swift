import Synchronization

/// The configuration in force, replaced as a whole by a reload. Each job session takes the one current when it
/// starts, so a reload never changes a running job halfway through a batch.
public final class DaemonSettingsStore: Sendable {
    private let configuration: Mutex<DaemonConfiguration>

    public init(_ configuration: DaemonConfiguration) {
        self.configuration = Mutex(configuration)
    }

    public var current: DaemonConfiguration { configuration.withLock { $0 } }

    /// Installs `new`, keeping the settings that only a restart may change; returns the previous configuration.
    /// The graph's credentials are not among them: a password fixed in its file or credential reaches the next job
    /// session (one the graph refused waits for it).
    @discardableResult
    func replace(with new: DaemonConfiguration) -> DaemonConfiguration {
        configuration.withLock { current in
            let old = current
            var next = new
            next.jobStore = old.jobStore
            next.graph = old.graph
            next.graph.auth = new.graph.auth
            next.daemon.worker = old.daemon.worker
            next.daemon.lease = old.daemon.lease
            next.daemon.watchdogMargin = old.daemon.watchdogMargin
            next.migrationsFolder = old.migrationsFolder
            current = next
            return old
        }
    }
}
