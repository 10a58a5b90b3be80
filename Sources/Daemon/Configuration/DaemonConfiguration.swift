import Bolt
import Foundation
import JobStore
import Logging
import Throttle

/// The daemon's whole configuration: one TOML file (see `systemd/sluice.toml`, every key documented there), every
/// setting overridable by its `SLUICE_*` variable (``Setting``), defaults for the rest.
public struct DaemonConfiguration: Sendable {
    /// Where the daemon looks when neither `--config` nor `SLUICE_CONFIG` names a file.
    public static let defaultPath = "/etc/sluice/sluice.toml"

    /// The file read, `nil` when there was none (defaults and environment only).
    public var path: String?
    public var jobStore: JobStoreConfiguration
    public var graph: GraphSettings
    /// `nil`: `./migrations`, then the installed folder.
    public var migrationsFolder: String?
    public var daemon: DaemonSettings
    public var engine: EngineSettings
    public var throttle: ThrottleSettings
    /// Where `GET /metrics` is served; `nil`: nowhere (the default).
    public var metricsListen: ListenAddress?
    /// Every setting's value (secrets masked) and source, for `sluice config check`.
    public var effective: [EffectiveSetting]

    /// Which file to read: `explicit` (`--config`), `SLUICE_CONFIG`, then ``defaultPath`` when it exists.
    public static func path(explicit: String?, environment: [String: String]) -> String? {
        if let explicit, !explicit.isEmpty { return explicit }
        if let named = environment["SLUICE_CONFIG"], !named.isEmpty { return named }
        return FileManager.default.fileExists(atPath: defaultPath) ? defaultPath : nil
    }

    /// Reads the file at `path` (none: defaults and environment only) and the environment.
    /// - Parameter readingPassword: read the graph's password now and refuse one without a user, as the daemon
    ///   must; false for a command, which resolves the login with its own `--user` and `--password-file` when it
    ///   connects (``GraphSettings/passwordFile``), and must not fail on a password it has no use for.
    public static func load(
        path: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readingPassword: Bool = true
    ) throws(ConfigurationError) -> DaemonConfiguration {
        var document = TOMLDocument()
        if let path {
            let text: String
            do {
                text = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw .unreadable(path: path, reason: SecretFile.reason(error, path: path))
            }
            do {
                document = try TOMLDocument(parsing: text)
            } catch {
                throw .syntax(path: path, error)
            }
        }
        return try DaemonConfiguration(
            document: document,
            path: path,
            environment: environment,
            readingPassword: readingPassword
        )
    }

    /// The configuration `document` (read from `path`) and `environment` give; `readingPassword` as for
    /// ``load(path:environment:readingPassword:)``.
    public init(
        document: TOMLDocument,
        path: String?,
        environment: [String: String],
        readingPassword: Bool = true
    ) throws(ConfigurationError) {
        var reader = ConfigurationReader(document: document, path: path, environment: environment)
        try reader.checkUnknownKeys()
        self.path = path

        // [postgres]
        let conninfo = try reader.string(Setting.postgresConnInfo, default: "", mask: PostgresConnInfo.redacted)
        let schema = try reader.string(Setting.postgresSchema, default: "sluice")
        // The job store's own rule, so a name it would refuse on every connection attempt is refused here, by line.
        do {
            _ = try JobStoreSchema(schema)
        } catch {
            throw .invalidValue(source: reader.lastSource, key: Setting.postgresSchema.name, reason: "\(error)")
        }
        let answerTimeout = try reader.duration(
            Setting.postgresAnswerTimeout,
            default: .seconds(30),
            minimum: .seconds(1)
        )

        // [graph]
        let urlText = try reader.string(Setting.graphURL, default: "bolt://localhost:7687")
        let url: BoltURL
        do {
            url = try BoltURL(parsing: urlText)
        } catch {
            throw .invalidValue(source: reader.lastSource, key: Setting.graphURL.name, reason: "\(error)")
        }
        let user = try reader.optionalString(Setting.graphUser)
        let passwordFile = try reader.optionalString(Setting.graphPasswordFile)
        let passwordSource = reader.lastSource
        let password: (password: String, source: SettingSource)?
        do {
            password =
                readingPassword ? try GraphSettings.password(passwordFile: passwordFile, environment: environment) : nil
        } catch {
            throw .invalidValue(source: passwordSource, key: Setting.graphPasswordFile.name, reason: "\(error)")
        }
        reader.recordDerived(
            Setting.graphPassword,
            display: password == nil ? "\"\"" : "\"\(PostgresConnInfo.mask)\"",
            source: password?.source ?? .defaultValue
        )
        guard let auth = GraphSettings.auth(user: user, password: password?.password) else {
            throw .invalidValue(
                source: password?.source ?? .defaultValue,
                key: Setting.graphUser.name,
                reason: "a password was given but no user: set [graph] user or SLUICE_BOLT_USER"
            )
        }
        let database = try reader.optionalString(Setting.graphDatabase)
        let tlsCA = try reader.optionalString(Setting.graphTLSCA)
        let dialectName = try reader.choice(
            Setting.graphDialect,
            default: "",
            choices: [""] + BoltCapabilities.Dialect.allCases.map(\.rawValue)
        )

        // [migrations]
        migrationsFolder = try reader.optionalString(Setting.migrationsFolder)

        // [daemon]
        let worker = try reader.string(Setting.daemonWorker, default: WorkerIdentity.derived().rawValue)
        // An empty name would be one identity shared by every daemon so configured: each would take over the
        // others' live leases as its own after a restart.
        guard !worker.trimmingSpaces.isEmpty else {
            throw .invalidValue(
                source: reader.lastSource,
                key: Setting.daemonWorker.name,
                reason: "must not be empty: leave it unset for the derived <host>/<machine id>/<unit>"
            )
        }
        let lease = try reader.duration(Setting.daemonLease, default: .seconds(60), minimum: .seconds(3))
        let poll = try reader.duration(Setting.daemonPollInterval, default: .seconds(10), minimum: .milliseconds(100))
        let retryInitial = try reader.duration(
            Setting.daemonRetryInitial,
            default: .seconds(1),
            minimum: .milliseconds(10)
        )
        let retryMaximum = try reader.duration(Setting.daemonRetryMaximum, default: .seconds(30), minimum: retryInitial)
        let stuckAfter = try reader.duration(Setting.daemonStuckAfter, default: .seconds(600), minimum: .seconds(1))
        let margin = try reader.duration(Setting.daemonWatchdogMargin, default: .seconds(30), minimum: .seconds(1))
        let levelName = try reader.choice(
            Setting.daemonLogLevel,
            default: "info",
            choices: Logger.Level.allCases.map(\.rawValue)
        )

        // [engine]
        let batchSize = try reader.integer(
            Setting.engineBatchSize,
            default: 10_000,
            minimum: 1,
            maximum: JobRequest.batchSizes.upperBound
        )
        let batchTimeout = try reader.duration(Setting.engineBatchTimeout, default: .seconds(120), minimum: .seconds(1))
        let planChunk = try reader.integer(Setting.enginePlanChunk, default: 100_000, minimum: 1)

        // [throttle]
        var throttle = ThrottleConfiguration()
        throttle.targetP99 = try reader.duration(Setting.throttleTargetP99, default: throttle.targetP99)
        throttle.criticalP99 = try reader.duration(Setting.throttleCriticalP99, default: throttle.criticalP99)
        throttle.minBatchSize = try reader.integer(
            Setting.throttleMinBatchSize,
            default: throttle.minBatchSize,
            minimum: 1
        )
        throttle.maxBatchSize = try reader.integer(
            Setting.throttleMaxBatchSize,
            default: throttle.maxBatchSize,
            minimum: 1
        )
        throttle.minPause = try reader.duration(Setting.throttleMinPause, default: throttle.minPause)
        throttle.maxPause = try reader.duration(Setting.throttleMaxPause, default: throttle.maxPause)
        let maxRate = try reader.integer(
            Setting.throttleMaxItemsPerSecond,
            default: 0,
            minimum: 0,
            maximum: ThrottleConfiguration.maximumItemsPerSecond
        )
        throttle.maxItemsPerSecond = maxRate == 0 ? nil : maxRate
        throttle.recoveryPeriod = try reader.duration(Setting.throttleRecoveryPeriod, default: throttle.recoveryPeriod)
        throttle.outliers = try reader.integer(Setting.throttleIgnoreOutliers, default: throttle.outliers, minimum: 0)
        let signal = try reader.choice(
            Setting.throttleSignal,
            default: throttle.signal.rawValue,
            choices: LatencySource.allCases.map(\.rawValue)
        )
        throttle.signal = LatencySource(rawValue: signal) ?? throttle.signal
        do {
            try throttle.validate()
        } catch {
            // Blames the line of a setting involved that was set: a default alone cannot be the mistake.
            let involved = reader.effective.filter {
                $0.setting.section == Setting.throttleTargetP99.section && error.settings.contains($0.setting.key)
            }
            let blamed = involved.first { $0.source != .defaultValue } ?? involved.first
            throw .invalidValue(
                source: blamed?.source ?? reader.lastSource,
                key: blamed?.setting.name ?? "[throttle]",
                reason: "\(error)"
            )
        }
        let probe = try reader.optionalString(Setting.throttleProbe)
        let probeInterval = try reader.duration(
            Setting.throttleProbeInterval,
            default: .milliseconds(250),
            minimum: .milliseconds(10)
        )
        let rules = try reader.strings(Setting.throttleWindows)
        var windows: [ThrottleWindow] = []
        for (index, rule) in rules.enumerated() {
            do {
                windows.append(try ThrottleWindow(parsing: rule))
            } catch {
                throw .invalidValue(
                    source: reader.lastSource,
                    key: Setting.throttleWindows.name,
                    reason: "window \(index + 1) '\(rule)': \(error)"
                )
            }
        }

        // [metrics]
        let listen = try reader.optionalString(Setting.metricsListen)
        if let listen {
            guard let address = ListenAddress(parsing: listen) else {
                throw .invalidValue(
                    source: reader.lastSource,
                    key: Setting.metricsListen.name,
                    reason: "'\(listen)' is not HOST:PORT (such as 127.0.0.1:9464 or [::1]:9464)"
                )
            }
            metricsListen = address
        } else {
            metricsListen = nil
        }

        jobStore = JobStoreConfiguration(
            postgres: PostgresConfiguration(
                conninfo: conninfo,
                applicationName: "sluice daemon",
                answerTimeout: answerTimeout,
                reconnect: Self.postgresReconnect(afterRefusal: retryMaximum)
            ),
            schema: schema
        )
        graph = GraphSettings(
            url: url,
            auth: auth,
            database: database,
            tls: BoltTLSConfiguration(caFile: tlsCA),
            dialect: BoltCapabilities.Dialect(rawValue: dialectName),
            passwordFile: passwordFile
        )
        daemon = DaemonSettings(
            worker: worker,
            lease: lease,
            pollInterval: poll,
            retryInitial: retryInitial,
            retryMaximum: retryMaximum,
            stuckAfter: stuckAfter,
            watchdogMargin: margin,
            logLevel: Logger.Level(rawValue: levelName) ?? .info
        )
        engine = EngineSettings(batchSize: batchSize, batchTimeout: batchTimeout, planChunk: planChunk)
        self.throttle = ThrottleSettings(
            configuration: throttle,
            schedule: ThrottleSchedule(windows),
            probe: probe,
            probeInterval: probeInterval
        )
        effective = reader.effective
    }

    /// How long a connection of the engine to the graph may hear nothing while a request awaits its answer, before it
    /// counts as lost (``GraphSettings/connect(answerTimeout:)``): `[engine] batch_timeout` plus half of `[daemon]
    /// watchdog_margin`, 135 s by default.
    ///
    /// Longer than a live server keeps silent: every statement of a job carries `batch_timeout` as its `tx_timeout`,
    /// after which the server aborts it and says so (the rest of the margin covers its rollback). Shorter than what the
    /// watchdog allows a batch, `batch_timeout` plus `watchdog_margin`: a server that stopped answering without closing
    /// the connection (a stopped process, a partition that drops packets) is then waited out as an outage (STATUS=, one
    /// journal entry, backoff, the job resumable) instead of the watchdog killing the daemon as hung. Derived rather
    /// than set, so that the two stay in that order whatever the configuration says.
    public var graphAnswerTimeout: Duration { engine.batchTimeout + daemon.watchdogMargin / 2 }

    /// One job-store operation rides out a Postgres restart of a few seconds on its own (the store tries an
    /// operation twice, so about 8 s); a longer outage ends the operation and the daemon's own wait (STATUS=, the
    /// journal, backoff, watchdog fed) takes over.
    /// A refused connection (a wrong password) waits `afterRefusal`, `[daemon] retry_maximum`, as the work loop does.
    public static func postgresReconnect(afterRefusal: Duration) -> PostgresReconnectPolicy {
        PostgresReconnectPolicy(
            initialDelay: .milliseconds(50),
            maximumDelay: .seconds(1),
            giveUpAfter: .seconds(4),
            afterRefusal: afterRefusal
        )
    }

    /// Settings that work together but not well, said by `config check` and at the daemon's start: not refused, as
    /// the daemon stays correct (fencing), only slower to notice.
    public var cautions: [String] {
        var cautions: [String] = []
        let answerTimeout = jobStore.postgres.answerTimeout
        if answerTimeout >= daemon.lease {
            cautions.append(
                "[postgres] answer_timeout (\(DurationText.format(answerTimeout))) is not below [daemon] lease "
                    + "(\(DurationText.format(daemon.lease))): a daemon waiting that long on a silent Postgres lets "
                    + "its job's lease run out before it hears of the outage"
            )
        }
        return cautions
    }

    /// Refuses a migrations folder the daemon cannot list (missing, a file, unreadable), naming the setting: checked
    /// when the daemon starts or reloads and by `sluice config check`, so that a mistyped path is a refused
    /// configuration, not a failure of every job the daemon claims (in a job store other daemons may share).
    public func checkMigrationsFolder() throws(ConfigurationError) {
        let folder = MigrationsFolder.toRead(explicit: migrationsFolder)
        var isFolder: ObjCBool = false
        let problem: String? =
            if !FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
                "no such folder"
            } else if !isFolder.boolValue {
                "not a folder"
            } else if !FileManager.default.isReadableFile(atPath: folder) {
                "cannot be read"
            } else {
                nil
            }
        guard let problem else { return }
        let source = effective.first { $0.setting == .migrationsFolder }?.source ?? .defaultValue
        throw .invalidValue(source: source, key: Setting.migrationsFolder.name, reason: "\(folder): \(problem)")
    }

    /// The settings that differ between `self` and `other` and need a restart to take effect.
    public func restartOnlyChanges(comparedTo other: DaemonConfiguration) -> [Setting] {
        let old = Dictionary(effective.map { ($0.setting, $0) }, uniquingKeysWith: { first, _ in first })
        return other.effective.filter { setting in
            !setting.setting.isReloadable && old[setting.setting]?.displayValue != setting.displayValue
        }.map(\.setting)
    }
}
