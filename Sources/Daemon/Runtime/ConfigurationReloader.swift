import Foundation
import Logging
import ServiceLifecycle
import Systemd
import UnixSignals

/// Reloads the configuration file on SIGHUP (`systemctl reload sluice`): throttle, engine defaults, poll and
/// stuck times, log level. A running job keeps going; settings that need a restart (connections, worker identity,
/// lease) are named in the journal and left as they were. A file with an error changes nothing.
public struct ConfigurationReloader: Service {
    let settings: DaemonSettingsStore
    let logLevel: ReloadableLogLevel
    let notifier: SystemdNotifier
    let environment: [String: String]
    let logger: Logger
    let hangups: UnixSignalsSequence

    /// `hangups` must trap SIGHUP before the daemon sends READY=1: a SIGHUP that came first would meet the default
    /// action and end the process, so it is made before the services start, not in ``run()``.
    public init(
        hangups: UnixSignalsSequence,
        settings: DaemonSettingsStore,
        logLevel: ReloadableLogLevel,
        notifier: SystemdNotifier,
        environment: [String: String],
        logger: Logger
    ) {
        self.settings = settings
        self.logLevel = logLevel
        self.notifier = notifier
        self.environment = environment
        self.logger = logger
        self.hangups = hangups
    }

    public func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        try? notifier.send(.reloadingNow)
        let old = settings.current
        do {
            let new = try DaemonConfiguration.load(path: old.path, environment: environment)
            try new.checkMigrationsFolder()
            let restartOnly = old.restartOnlyChanges(comparedTo: new)
            settings.replace(with: new)
            logLevel.value = new.daemon.logLevel
            if !restartOnly.isEmpty {
                logger.warning(
                    "configuration reloaded, but these changes need a restart: \(restartOnly.map(\.name).joined(separator: ", "))",
                    metadata: [SluiceLogKey.messageID: "\(SluiceMessageID.reloadNeedsRestart)"]
                )
            }
            logger.notice(
                "configuration reloaded from \(old.path ?? "the environment")",
                metadata: [
                    SluiceLogKey.messageID: "\(SluiceMessageID.configurationReloaded)",
                    "log_level": "\(new.daemon.logLevel)",
                    "throttle_windows": "\(new.throttle.schedule.windows.count)",
                ]
            )
        } catch {
            logger.error("configuration not reloaded, the previous one stays in force: \(error)")
        }
        try? notifier.send(.ready)
    }
}
