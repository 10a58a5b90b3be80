/// One setting of the configuration file: its section and key, the environment variable that overrides it, its
/// default and what it does. The list in ``all`` is the single source of `sluice config check`, the unknown-key
/// check and the documentation in `systemd/sluice.toml`.
///
/// Environment variables are named `SLUICE_<SECTION>_<KEY>` in upper case, except where the project's interface
/// contract fixed a name first: the graph's are `SLUICE_BOLT_*` (as for every command), the job store's conninfo is
/// `SLUICE_POSTGRES` and the migrations folder `SLUICE_MIGRATIONS`.
public struct Setting: Sendable, Hashable {
    public let section: String
    public let key: String
    public let environment: String
    /// The default as TOML would write it; empty when the default is "none".
    public let defaultText: String
    /// Shown masked, never printed or logged.
    public let isSecret: Bool
    /// Takes effect on SIGHUP; the others need a restart.
    public let isReloadable: Bool
    /// Shown by `config check` but never read from the file (the graph's password).
    public let isFileKey: Bool

    init(
        _ section: String,
        _ key: String,
        environment: String? = nil,
        default defaultText: String,
        secret: Bool = false,
        reloadable: Bool = false,
        fileKey: Bool = true
    ) {
        self.section = section
        self.key = key
        self.environment = environment ?? "SLUICE_\(section)_\(key)".uppercased()
        self.defaultText = defaultText
        self.isSecret = secret
        self.isReloadable = reloadable
        self.isFileKey = fileKey
    }

    /// `[daemon] lease`, as error messages name it.
    public var name: String { "[\(section)] \(key)" }

    // MARK: [postgres]
    public static let postgresConnInfo = Setting(
        "postgres",
        "conninfo",
        environment: "SLUICE_POSTGRES",
        default: "\"\"",
        secret: true
    )
    public static let postgresSchema = Setting("postgres", "schema", default: "\"sluice\"")
    public static let postgresAnswerTimeout = Setting("postgres", "answer_timeout", default: "\"30s\"")

    // MARK: [graph]
    public static let graphURL = Setting(
        "graph",
        "url",
        environment: "SLUICE_BOLT_URL",
        default: "\"bolt://localhost:7687\""
    )
    public static let graphUser = Setting(
        "graph",
        "user",
        environment: "SLUICE_BOLT_USER",
        default: "\"\"",
        reloadable: true
    )
    public static let graphPasswordFile = Setting(
        "graph",
        "password_file",
        environment: "SLUICE_BOLT_PASSWORD_FILE",
        default: "\"\"",
        reloadable: true
    )
    /// Never in the file: from `password_file`, the credential `bolt-password` or `SLUICE_BOLT_PASSWORD`.
    public static let graphPassword = Setting(
        "graph",
        "password",
        environment: "SLUICE_BOLT_PASSWORD",
        default: "\"\"",
        secret: true,
        reloadable: true,
        fileKey: false
    )
    public static let graphDatabase = Setting(
        "graph",
        "database",
        environment: "SLUICE_BOLT_DATABASE",
        default: "\"\""
    )
    public static let graphTLSCA = Setting("graph", "tls_ca", environment: "SLUICE_BOLT_TLS_CA", default: "\"\"")
    public static let graphDialect = Setting("graph", "dialect", environment: "SLUICE_BOLT_DIALECT", default: "\"\"")

    // MARK: [migrations]
    public static let migrationsFolder = Setting(
        "migrations",
        "folder",
        environment: "SLUICE_MIGRATIONS",
        default: "\"\""
    )

    // MARK: [daemon]
    public static let daemonWorker = Setting("daemon", "worker", default: "\"\"")
    public static let daemonLease = Setting("daemon", "lease", default: "\"60s\"")
    public static let daemonPollInterval = Setting("daemon", "poll_interval", default: "\"10s\"", reloadable: true)
    public static let daemonRetryInitial = Setting("daemon", "retry_initial", default: "\"1s\"", reloadable: true)
    public static let daemonRetryMaximum = Setting("daemon", "retry_maximum", default: "\"30s\"", reloadable: true)
    public static let daemonStuckAfter = Setting("daemon", "stuck_after", default: "\"10m\"", reloadable: true)
    public static let daemonWatchdogMargin = Setting("daemon", "watchdog_margin", default: "\"30s\"")
    public static let daemonLogLevel = Setting("daemon", "log_level", default: "\"info\"", reloadable: true)

    // MARK: [engine]
    public static let engineBatchSize = Setting("engine", "batch_size", default: "10000", reloadable: true)
    public static let engineBatchTimeout = Setting("engine", "batch_timeout", default: "\"120s\"", reloadable: true)
    public static let enginePlanChunk = Setting("engine", "plan_chunk", default: "100000", reloadable: true)

    // MARK: [throttle]
    public static let throttleTargetP99 = Setting("throttle", "target_p99", default: "\"50ms\"", reloadable: true)
    public static let throttleCriticalP99 = Setting("throttle", "critical_p99", default: "\"250ms\"", reloadable: true)
    public static let throttleMinBatchSize = Setting("throttle", "min_batch_size", default: "1000", reloadable: true)
    public static let throttleMaxBatchSize = Setting("throttle", "max_batch_size", default: "10000", reloadable: true)
    public static let throttleMinPause = Setting("throttle", "min_pause", default: "\"0s\"", reloadable: true)
    public static let throttleMaxPause = Setting("throttle", "max_pause", default: "\"5s\"", reloadable: true)
    public static let throttleMaxItemsPerSecond = Setting(
        "throttle",
        "max_items_per_second",
        default: "0",
        reloadable: true
    )
    public static let throttleRecoveryPeriod = Setting(
        "throttle",
        "recovery_period",
        default: "\"10s\"",
        reloadable: true
    )
    public static let throttleIgnoreOutliers = Setting("throttle", "ignore_outliers", default: "2", reloadable: true)
    public static let throttleSignal = Setting("throttle", "signal", default: "\"probe\"", reloadable: true)
    public static let throttleWindows = Setting("throttle", "windows", default: "[]", reloadable: true)
    public static let throttleProbe = Setting("throttle", "probe", default: "\"\"", reloadable: true)
    public static let throttleProbeInterval = Setting(
        "throttle",
        "probe_interval",
        default: "\"250ms\"",
        reloadable: true
    )

    // MARK: [metrics]
    public static let metricsListen = Setting("metrics", "listen", default: "\"\"")

    /// Every setting, in the order `config check` prints them.
    public static let all: [Setting] = [
        postgresConnInfo, postgresSchema, postgresAnswerTimeout,
        graphURL, graphUser, graphPasswordFile, graphPassword, graphDatabase, graphTLSCA, graphDialect,
        migrationsFolder,
        daemonWorker, daemonLease, daemonPollInterval, daemonRetryInitial, daemonRetryMaximum, daemonStuckAfter,
        daemonWatchdogMargin, daemonLogLevel,
        engineBatchSize, engineBatchTimeout, enginePlanChunk,
        throttleTargetP99, throttleCriticalP99, throttleMinBatchSize, throttleMaxBatchSize, throttleMinPause,
        throttleMaxPause, throttleMaxItemsPerSecond, throttleRecoveryPeriod, throttleIgnoreOutliers,
        throttleSignal, throttleWindows,
        throttleProbe, throttleProbeInterval,
        metricsListen,
    ]

    /// The sections, in order.
    public static var sections: [String] {
        var seen: [String] = []
        for setting in all where !seen.contains(setting.section) { seen.append(setting.section) }
        return seen
    }
}
