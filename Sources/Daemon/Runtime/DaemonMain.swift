import Foundation
import Logging
import ServiceLifecycle
import Systemd
import UnixSignals

/// Starts `sluice daemon`: reads the configuration (an error stops it here, with the file, line and key), sets up
/// logging (the journal under systemd, stderr elsewhere), and runs the daemon and the SIGHUP reloader in a
/// ServiceGroup that shuts down gracefully on SIGTERM and SIGINT.
public enum DaemonMain {
    public static func run(
        configPath: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws {
        // Before any secret is read: no core dump, no same-user ptrace or /proc/PID/mem or environ
        // reading of a process holding the graph's and the job store's passwords (see ProcessDumpability).
        try ProcessDumpability.disable()
        let path = DaemonConfiguration.path(explicit: configPath, environment: environment)
        let configuration = try DaemonConfiguration.load(path: path, environment: environment)
        try configuration.checkMigrationsFolder()
        let logLevel = ReloadableLogLevel(configuration.daemon.logLevel)
        LoggingSystem.bootstrap(
            { label, provider in
                logLevel.handler(wrapping: SluiceLogging.makeHandler(label: label, metadataProvider: provider))
            },
            metadataProvider: nil
        )
        let logger = Logger(label: "sluice.daemon")
        let notifier = SystemdNotifier()
        let settings = DaemonSettingsStore(configuration)
        let metrics = DaemonMetrics(worker: configuration.daemon.worker)
        var metricsService: MetricsService?
        if let address = configuration.metricsListen {
            metricsService = try await bindMetrics(address, metrics: metrics, settings: settings, logger: logger)
        }
        let daemon = SluiceDaemon(
            settings: settings,
            notifier: notifier,
            metrics: metrics,
            fault: TestFault.from(environment: environment),
            logger: logger
        )
        let reloader = ConfigurationReloader(
            hangups: await UnixSignalsSequence(trapping: .sighup),
            settings: settings,
            logLevel: logLevel,
            notifier: notifier,
            environment: environment,
            logger: logger
        )
        var serviceLogger = logger
        serviceLogger.logLevel = .warning
        let group = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                // Shut down in reverse order: the metrics endpoint last, so it reports the batch finishing.
                services: (metricsService.map { [.init(service: $0)] } ?? []) + [
                    .init(service: daemon, successTerminationBehavior: .gracefullyShutdownGroup),
                    .init(service: reloader),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: serviceLogger
            )
        )
        try await group.run()
    }

    /// Binds the metrics endpoint; failing to (a port in use, an unknown host) is a bad `[metrics] listen`.
    private static func bindMetrics(
        _ address: ListenAddress,
        metrics: DaemonMetrics,
        settings: DaemonSettingsStore,
        logger: Logger
    ) async throws(ConfigurationError) -> MetricsService {
        do {
            return try await MetricsService.bind(address, metrics: metrics, settings: settings, logger: logger)
        } catch {
            let source = settings.current.effective.first { $0.setting == .metricsListen }?.source ?? .defaultValue
            throw .invalidValue(
                source: source,
                key: Setting.metricsListen.name,
                reason: "cannot listen on \(address): \(error)"
            )
        }
    }
}
