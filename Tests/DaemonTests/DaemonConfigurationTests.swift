import Foundation
import JobStore
import Testing
import Throttle

@testable import Daemon

@Suite struct DaemonConfigurationTests {
    private func configuration(_ text: String, environment: [String: String] = [:]) throws -> DaemonConfiguration {
        try DaemonConfiguration(
            document: TOMLDocument(parsing: text),
            path: "/etc/sluice/sluice.toml",
            environment: environment
        )
    }

    @Test func defaultsApplyWithoutAFile() throws {
        let config = try configuration("")
        #expect(config.daemon.lease == .seconds(60))
        #expect(config.engine.batchSize == 10_000)
        #expect(config.jobStore.schema == "sluice")
        #expect(config.jobStore.postgres.answerTimeout == .seconds(30))
        let longest = String(repeating: "s", count: 40)
        #expect(try configuration("[postgres]\nschema = \"\(longest)\"\n").jobStore.schema == longest)
        #expect("\(config.graph.url)" == "bolt://localhost:7687")
        #expect(config.throttle.configuration == ThrottleConfiguration())
        #expect(config.effective.allSatisfy { $0.source == .defaultValue || $0.setting == .daemonWorker })
    }

    @Test func theEnvironmentWinsOverTheFileAndEachSourceIsRecorded() throws {
        let config = try configuration(
            "[daemon]\nlease = \"30s\"\npoll_interval = \"2s\"\n[engine]\nbatch_size = 500\n",
            environment: ["SLUICE_DAEMON_LEASE": "45s", "SLUICE_BOLT_URL": "bolt://graph:7687"]
        )
        #expect(config.daemon.lease == .seconds(45))
        #expect(config.daemon.pollInterval == .seconds(2))
        let answering = try configuration("", environment: ["SLUICE_POSTGRES_ANSWER_TIMEOUT": "5s"])
        #expect(answering.jobStore.postgres.answerTimeout == .seconds(5))
        #expect(config.engine.batchSize == 500)
        let sources = Dictionary(uniqueKeysWithValues: config.effective.map { ($0.setting.key, $0.source) })
        #expect(sources["lease"] == .environment("SLUICE_DAEMON_LEASE"))
        #expect(sources["poll_interval"] == .file(path: "/etc/sluice/sluice.toml", line: 3))
        #expect(sources["url"] == .environment("SLUICE_BOLT_URL"))
        #expect(sources["batch_size"] == .file(path: "/etc/sluice/sluice.toml", line: 5))
    }

    @Test func errorsNameTheFileTheLineAndTheKey() {
        let cases: [(String, [String: String], String)] = [
            ("[daemon]\n\nlease = 30\n", [:], "/etc/sluice/sluice.toml:3: [daemon] lease: expected a duration"),
            ("[daemon]\nleese = \"1s\"\n", [:], "/etc/sluice/sluice.toml:2: unknown setting [daemon] leese"),
            ("\n[deamon]\n", [:], "/etc/sluice/sluice.toml:2: unknown setting [deamon]"),
            ("[engine]\nbatch_size = 0\n", [:], "/etc/sluice/sluice.toml:2: [engine] batch_size: must be at least 1"),
            (
                "[throttle]\nmax_items_per_second = 9223372036854775807\n", [:],
                "/etc/sluice/sluice.toml:2: [throttle] max_items_per_second: must be at most 1000000000"
            ),
            (
                "[daemon]\npoll_interval = \"99999999999999999999s\"\n", [:],
                "/etc/sluice/sluice.toml:2: [daemon] poll_interval: '99999999999999999999s' is longer than 8760h"
            ),
            ("[daemon]\nworker = \"\"\n", [:], "/etc/sluice/sluice.toml:2: [daemon] worker: must not be empty"),
            ("", ["SLUICE_DAEMON_WORKER": ""], "environment SLUICE_DAEMON_WORKER: [daemon] worker: must not be empty"),
            ("", ["SLUICE_ENGINE_BATCH_SIZE": "lots"], "environment SLUICE_ENGINE_BATCH_SIZE: [engine] batch_size"),
            (
                "[graph]\ndialect = \"oracle\"\n", [:],
                "/etc/sluice/sluice.toml:2: [graph] dialect: expected one of \"\", \"neo4j\", \"falkordb\", found \"oracle\""
            ),
            ("[graph]\nurl = \"http://x\"\n", [:], "/etc/sluice/sluice.toml:2: [graph] url:"),
            (
                "[graph]\npassword = \"hunter2\"\n", [:],
                "/etc/sluice/sluice.toml:2: [graph] password: a password does not belong"
            ),
            (
                "[throttle]\nwindows = [\"Mon-Fri 09:00 UTC: pause\"]\n", [:],
                "/etc/sluice/sluice.toml:2: [throttle] windows: window 1"
            ),
            (
                "[throttle]\ntarget_p99 = \"1s\"\n", [:],
                "/etc/sluice/sluice.toml:2: [throttle] target_p99: critical_p99 250ms must be above target_p99 1s"
            ),
            (
                "[throttle]\n\ncritical_p99 = \"40ms\"\n", [:],
                "/etc/sluice/sluice.toml:3: [throttle] critical_p99: critical_p99 40ms must be above target_p99 50ms"
            ),
            (
                "[throttle]\nmin_batch_size = 20000\n", [:],
                "/etc/sluice/sluice.toml:2: [throttle] min_batch_size: min_batch_size 20000 is above max_batch_size"
            ),
            (
                "", ["SLUICE_THROTTLE_MAX_PAUSE": "1s", "SLUICE_THROTTLE_MIN_PAUSE": "2s"],
                "environment SLUICE_THROTTLE_MIN_PAUSE: [throttle] min_pause: min_pause 2s is above max_pause 1s"
            ),
            ("[postgres]\nschema = \"Robert'); DROP\"\n", [:], "/etc/sluice/sluice.toml:2: [postgres] schema"),
            (
                "[postgres]\nanswer_timeout = \"500ms\"\n", [:],
                "/etc/sluice/sluice.toml:2: [postgres] answer_timeout: must be at least 1s"
            ),
            (
                "[postgres]\nschema = \"Sluice\"\n", [:],
                "/etc/sluice/sluice.toml:2: [postgres] schema: invalid schema name \"Sluice\": use lower-case"
            ),
            (
                "[postgres]\nschema = \"\(String(repeating: "s", count: 41))\"\n", [:],
                "/etc/sluice/sluice.toml:2: [postgres] schema: invalid schema name"
            ),
            (
                "[metrics]\nlisten = \"9464\"\n", [:],
                "/etc/sluice/sluice.toml:2: [metrics] listen: '9464' is not HOST:PORT"
            ),
            ("", ["SLUICE_METRICS_LISTEN": "::1:9464"], "environment SLUICE_METRICS_LISTEN: [metrics] listen"),
        ]
        for (text, environment, expected) in cases {
            #expect {
                _ = try configuration(text, environment: environment)
            } throws: { error in
                "\(error)".hasPrefix(expected) || "\(error)".contains(expected)
            }
        }
    }

    @Test func secretsAreMaskedAndThePasswordComesFromItsFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-credentials-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "s3cret-from-credential\n".write(
            to: directory.appendingPathComponent("bolt-password"),
            atomically: true,
            encoding: .utf8
        )
        let config = try configuration(
            "[postgres]\nconninfo = \"host=db password=pg-s3cret\"\n[graph]\nuser = \"neo4j\"\n",
            environment: ["CREDENTIALS_DIRECTORY": directory.path, "SLUICE_BOLT_PASSWORD": "from-env"]
        )
        #expect(config.graph.auth == .basic(user: "neo4j", password: "s3cret-from-credential"))
        let shown = config.effective.map { "\($0.setting.name) = \($0.displayValue) # \($0.source)" }.joined(
            separator: "\n"
        )
        #expect(!shown.contains("s3cret"))
        #expect(shown.contains("[graph] password = \"***\" # file \(directory.path)/bolt-password"))
        #expect(shown.contains("host=db"))
    }

    @Test func throttleSettingsMapOntoTheController() throws {
        let config = try configuration(
            """
            [throttle]
            target_p99 = "20ms"
            critical_p99 = "100ms"
            max_items_per_second = 2000
            signal = "batch server time"
            windows = ["business hours = Mon-Fri 09:00-18:00 Europe/Berlin: max 2,000 items/s"]
            probe = "MATCH (p:Project) RETURN p.name LIMIT 25"
            probe_interval = "100ms"
            """
        )
        #expect(config.throttle.probe == "MATCH (p:Project) RETURN p.name LIMIT 25")
        #expect(config.throttle.probeInterval == .milliseconds(100))
        #expect(try self.configuration("").throttle.probe == nil)
        #expect(config.throttle.configuration.targetP99 == .milliseconds(20))
        #expect(config.throttle.configuration.maxItemsPerSecond == 2000)
        #expect(config.throttle.configuration.signal == .batchServer)
        #expect(config.throttle.schedule.windows.map(\.label) == ["business hours"])
    }

    @Test func theShippedDefaultFileIsValidAndAllDefaults() throws {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("systemd/sluice.toml").path
        let config = try DaemonConfiguration.load(path: path, environment: [:])
        #expect(config.effective.allSatisfy { $0.source == .defaultValue })
        // Every setting is documented in the file, with its variable.
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for setting in Setting.all where setting.isFileKey {
            #expect(
                text.contains("#\(setting.key) = ") || text.contains("#\(setting.key) ="),
                "\(setting.name) undocumented"
            )
            #expect(text.contains(setting.environment), "\(setting.environment) undocumented")
        }
    }

    @Test func aReloadReportsTheChangesThatNeedARestart() throws {
        let old = try configuration("[daemon]\nlease = \"30s\"\nlog_level = \"info\"\n")
        let new = try configuration("[daemon]\nlease = \"40s\"\nlog_level = \"debug\"\n")
        #expect(old.restartOnlyChanges(comparedTo: new).map(\.name) == ["[daemon] lease"])
        let store = DaemonSettingsStore(old)
        store.replace(with: new)
        #expect(store.current.daemon.lease == .seconds(30))
        #expect(store.current.daemon.logLevel == .debug)
    }

    /// An unreadable file is named with what is wrong with it, not Foundation's error number.
    @Test func unreadableFilesSayWhy() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-unreadable-\(UUID())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let binary = directory.appendingPathComponent("binary").path
        try Data([0x66, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
        let cases = [
            (directory.path, "is a directory"), (binary, "is not UTF-8 text"),
            (directory.appendingPathComponent("missing").path, "no such file"),
        ]
        for (path, reason) in cases {
            #expect(throws: SecretFileError(path: path, what: "password file", reason: reason)) {
                try SecretFile.firstLine(of: path, what: "password file")
            }
            #expect(throws: ConfigurationError.unreadable(path: path, reason: reason)) {
                try DaemonConfiguration.load(path: path, environment: [:])
            }
        }
    }
}
