import Daemon
import Foundation
import Testing

/// Commands run as the built executable where no server is needed: the configuration, the environment and the
/// command line they read, and how they refuse what is wrong (one line, non-zero, nothing done).
@Suite struct OfflineCommandTests {
    /// Runs `sluice ARGUMENTS` in a temporary folder with `environment` alone (no `SLUICE_*`, no `PG*` besides).
    static func sluice(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessRun {
        let executable = try #require(JobStoreIntegrationTests.sluiceExecutable(), "build sluice first")
        var bare = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path]
        bare.merge(environment) { _, new in new }
        return try await ProcessRun.run(URL(fileURLWithPath: executable), arguments, environment: bare)
    }

    /// A failure as the project wants it: non-zero, one line `sluice: error: ...` containing `fragment`.
    static func isOneLineError(_ run: ProcessRun, containing fragment: String) -> Bool {
        run.status != 0 && run.errors.hasPrefix("sluice: error: ") && run.errors.filter { $0 == "\n" }.count == 1
            && run.errors.contains(fragment)
    }

    /// Without a configuration file, a command reads the daemon's variables as the daemon does; each was ignored by
    /// some command before (the schema by the job-store commands, the password file and dialect by graph commands).
    @Test func withoutAFileTheDaemonsVariablesStillApply() async throws {
        let cases: [([String], [String: String], String)] = [
            (
                ["jobs"], ["SLUICE_POSTGRES_SCHEMA": "Not_Lower"],
                "environment SLUICE_POSTGRES_SCHEMA: [postgres] schema"
            ),
            (
                ["cypher", "RETURN 1"], ["SLUICE_BOLT_PASSWORD_FILE": "/nonexistent/bolt-password"],
                "cannot read password file /nonexistent/bolt-password"
            ),
            // The password is read when the graph is connected to, after the flags: --user counts, and a command
            // that never connects is not refused for it.
            (
                ["cypher", "--url", "bolt://127.0.0.1:1", "--user", "neo4j", "RETURN 1"],
                ["SLUICE_BOLT_PASSWORD": "secret-9"], "cannot connect to 127.0.0.1:1"
            ),
            (
                ["check", "--migrations", "/nonexistent-migrations"],
                ["SLUICE_BOLT_PASSWORD_FILE": "/nonexistent/bolt-password"],
                "no migrations folder /nonexistent-migrations (named by --migrations"
            ),
            (["cypher", "RETURN 1"], ["SLUICE_BOLT_DIALECT": "oracle"], "environment SLUICE_BOLT_DIALECT"),
        ]
        for (arguments, environment, fragment) in cases {
            let run = try await Self.sluice(arguments, environment: environment)
            #expect(Self.isOneLineError(run, containing: fragment), "\(arguments): \(run.status) \(run.errors)")
        }
    }

    /// A temporary folder, removed after `body`.
    static func withFolder<Result>(_ body: (URL) async throws -> Result) async throws -> Result {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-offline-\(UUID())")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try await body(folder)
    }

    /// `sluice run` paces a job from the configuration's `[throttle]`, flags overriding it; `sluice schedule` shows
    /// the configured windows unless given its own.
    @Test func runAndScheduleFollowTheConfiguredThrottle() async throws {
        try await Self.withFolder { folder in
            let config = folder.appendingPathComponent("sluice.toml").path
            try """
            [graph]
            url = "bolt://127.0.0.1:1"
            [throttle]
            target_p99 = "400ms"
            critical_p99 = "1s"
            windows = ["nights = daily 22:00-06:00 UTC: max 500 items/s"]

            """.write(toFile: config, atomically: true, encoding: .utf8)
            let migrations = folder.appendingPathComponent("migrations").path
            var run = try await Self.sluice(["new", "first", "--migrations", migrations])
            #expect(run.status == 0, "\(run.errors)")

            // The configured target (400 ms) is above the flag's critical p99: refused before any connection.
            run = try await Self.sluice(
                ["run", "1", "--config", config, "--migrations", migrations, "--critical-p99", "300"]
            )
            #expect(
                Self.isOneLineError(run, containing: "[throttle]") && run.errors.contains("400ms"),
                "\(run.status) \(run.errors)"
            )

            run = try await Self.sluice(["schedule", "--config", config])
            #expect(run.status == 0 && run.output.contains("nights = daily 22:00-06:00 UTC"), "\(run.errors)")
            run = try await Self.sluice(
                ["schedule", "--config", config, "--window", "Sat 00:00-24:00 UTC: pause"]
            )
            #expect(run.status == 0 && !run.output.contains("nights") && run.output.contains("Sat"), "\(run.errors)")
            run = try await Self.sluice(
                ["schedule"],
                environment: ["SLUICE_THROTTLE_WINDOWS": "daily 01:00-02:00 UTC: pause"]
            )
            #expect(run.status == 0 && run.output.contains("daily 01:00-02:00 UTC"), "\(run.errors)")
        }
    }

    /// `check` and `new` read and write the configuration's `[migrations] folder`, as their help says.
    @Test func checkAndNewUseTheConfiguredFolder() async throws {
        try await Self.withFolder { folder in
            let migrations = folder.appendingPathComponent("configured").path
            let config = folder.appendingPathComponent("sluice.toml").path
            try "[migrations]\nfolder = \"\(migrations)\"\n".write(toFile: config, atomically: true, encoding: .utf8)
            var run = try await Self.sluice(["new", "first", "--config", config])
            #expect(run.status == 0 && run.output == "\(migrations)/001_first.cypher\n", "\(run.errors)")
            run = try await Self.sluice(["check", "--config", config])
            #expect(run.status == 0 && run.output.contains("1 migration OK in \(migrations)"), "\(run.errors)")
        }
    }

    /// Negative numbers are values: `--priority -5` as the help allows, `--limit -1` refused by its range check
    /// (ArgumentParser took both for options and said "Missing value").
    @Test func negativeNumbersAreValues() async throws {
        for command in ["jobs", "history"] {
            let run = try await Self.sluice([command, "--limit", "-1"])
            #expect(Self.isOneLineError(run, containing: "--limit must be at least 1, got -1"), "\(run.errors)")
        }
        // A rate or latency is refused for its value, not taken for a missing one ("Missing value for '--max-rate'").
        var run = try await Self.sluice(["throttle", "1", "--max-rate", "-5"])
        #expect(Self.isOneLineError(run, containing: "--max-rate must be at least 1 item/s, got -5"), "\(run.errors)")
        for option in ["--max-rate", "--target-p99", "--critical-p99", "--probe-interval"] {
            run = try await Self.sluice(["run", "1", option, "-5"])
            #expect(run.status != 0 && run.errors.contains("\(option) must be"), "\(option): \(run.errors)")
        }
        try await Self.withFolder { folder in
            let migrations = folder.path
            _ = try await Self.sluice(["new", "first", "--migrations", migrations])
            // Parsed: the command gets as far as the (unreachable) job store.
            let run = try await Self.sluice(
                ["enqueue", "1", "--priority", "-5", "--migrations", migrations, "--postgres", "host=/nonexistent"]
            )
            #expect(Self.isOneLineError(run, containing: "cannot connect to Postgres"), "\(run.errors)")
        }
    }

    /// `list` takes only what it uses: the graph's name (--url, --database), no credentials to read or refuse.
    @Test func listTakesNoGraphCredentials() async throws {
        for option in ["--user", "--password-file", "--tls-ca"] {
            let run = try await Self.sluice(["list", option, "/nonexistent"])
            #expect(run.status == 64 && run.errors.contains("Unknown option '\(option)'"), "\(option): \(run.errors)")
        }
    }

    /// Output that cannot be written is a failure, said in one line: the write trapped (status 132, a stack trace).
    @Test func aFailedWriteToStandardOutputIsOneLineAndStatus1() async throws {
        let executable = try #require(JobStoreIntegrationTests.sluiceExecutable(), "build sluice first")
        for redirect in ["> /dev/full", ">&-"] {
            let run = try await ProcessRun.run(
                URL(fileURLWithPath: "/bin/sh"),
                ["-c", "\"$0\" config check \(redirect)", executable],
                environment: ["PATH": "/usr/bin:/bin"]
            )
            #expect(
                Self.isOneLineError(run, containing: "cannot write to standard output: "),
                "\(redirect): \(run.status) \(run.errors)"
            )
        }
    }

    /// `--version` names the build, as `/metrics` does (`sluice_daemon_info`).
    @Test func versionIsPrinted() async throws {
        let run = try await Self.sluice(["--version"])
        #expect(run.status == 0 && run.output == "\(SluiceVersion.current)\n", "\(run.errors)")
    }

    /// A rate limit near `Int.max` trapped in the throttle controller: every flag that sets one refuses it.
    /// A migrations folder the daemon cannot list is a refused configuration (by `config check` and at the daemon's
    /// start, naming the setting), not a failure of every job the daemon would claim.
    @Test func aMissingMigrationsFolderIsARefusedConfiguration() async throws {
        try await Self.withFolder { folder in
            let file = folder.appendingPathComponent("a-file")
            try "".write(to: file, atomically: true, encoding: .utf8)
            for (path, reason) in [("/nonexistent/migrations", "no such folder"), (file.path, "not a folder")] {
                let environment = ["SLUICE_MIGRATIONS": path, "SLUICE_POSTGRES": "host=/nonexistent"]
                for command in [["config", "check"], ["config", "check", "--quiet"], ["daemon"]] {
                    let run = try await Self.sluice(command, environment: environment)
                    #expect(
                        run.status != 0 && run.errors.contains("[migrations] folder: \(path): \(reason)")
                            && run.errors.contains("SLUICE_MIGRATIONS"),
                        "\(command): \(run.errors)"
                    )
                }
            }
        }
    }

    /// Run by hand, `config check` derives a worker identity from its own process id, which no daemon has: the line is
    /// a comment (the output stays a configuration that does not pin a daemon to it) and names the unit's identity.
    @Test func aWorkerDerivedFromTheChecksOwnProcessIsACommentNamingTheUnits() async throws {
        let byHand = try await Self.sluice(["config", "check"], environment: ["SLUICE_MIGRATIONS": "/"])
        #expect(byHand.status == 0, "\(byHand.errors)")
        let lines = byHand.output.split(separator: "\n")
        let worker = lines.first { $0.contains("worker = ") }.map(String.init) ?? ""
        #expect(worker.hasPrefix("# worker = \"") && worker.contains("/pid-"), "\(worker)")
        #expect(lines.contains { $0.contains("the unit's daemon is ") && $0.contains("/sluice.service") }, "\(lines)")
        let unit = try await Self.sluice(
            ["config", "check"],
            environment: ["SLUICE_MIGRATIONS": "/", "SLUICE_UNIT": "sluice.service"]
        )
        let named = unit.output.split(separator: "\n").first { $0.contains("worker = ") }.map(String.init) ?? ""
        #expect(named.hasPrefix("worker = \"") && named.contains("/sluice.service\""), "\(named)")
    }

    /// A migrations folder that does not exist: one line naming it and where it was named (it was a file problem,
    /// "cannot read: no such folder", then a summary of "1 problem in 1 file").
    @Test func aMissingMigrationsFolderIsOneLineNamingIt() async throws {
        for command in [["check"], ["list"], ["run", "1"]] {
            let run = try await Self.sluice(command + ["--migrations", "/nonexistent/sluice-migrations"])
            #expect(
                Self.isOneLineError(run, containing: "no migrations folder /nonexistent/sluice-migrations (named by"),
                "\(command): \(run.output)\(run.errors)"
            )
        }
    }

    /// When stderr is the journal (systemd's `JOURNAL_STREAM`), the one-line error starts with the syslog prefix `<3>`,
    /// so journald stores it at priority err: before, the error that stops the daemon or fails `ExecReload=` was at
    /// the stream's info, missed by `journalctl -p err`. A file or a terminal gets it unchanged.
    @Test func theOneLineErrorIsAtPriorityErrWhenStderrIsTheJournal() async throws {
        let executable = try #require(JobStoreIntegrationTests.sluiceExecutable(), "build sluice first")
        let environment = [
            "PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path,
            "SLUICE_MIGRATIONS": "/nonexistent/migrations",
        ]
        let child = try JobStoreTestDatabase.Child(
            executable,
            ["config", "check", "--quiet"],
            environment: environment,
            stderrIsJournal: true
        )
        let status = await child.wait()
        #expect(
            status == 1 && child.standardError.hasPrefix("<3>sluice: error: ")
                && child.standardError.contains("[migrations] folder: /nonexistent/migrations"),
            "\(status) \(child.standardError)"
        )
        let plain = try await Self.sluice(["config", "check", "--quiet"], environment: environment)
        #expect(Self.isOneLineError(plain, containing: "[migrations] folder"), "\(plain.errors)")
    }

    /// `config check` run as root reads a password file that only root can read, which the shipped unit's
    /// `DynamicUser=` cannot: the check passed and the reload or restart after it failed. It warns (stderr, also with
    /// `--quiet`, exit status 0) naming the setting's line and the credential to use instead; a file any user can
    /// read, or a check not run as root (which reads what its user can), says nothing.
    @Test func aPasswordFileOnlyRootCanReadIsAWarningForTheUnit() async throws {
        try await Self.withFolder { folder in
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: folder.path)
            let passwordFile = folder.appendingPathComponent("bolt.pw")
            try "secret-7\n".write(to: passwordFile, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: passwordFile.path)
            let config = folder.appendingPathComponent("sluice.toml")
            try "[graph]\nuser = \"neo4j\"\npassword_file = \"\(passwordFile.path)\"\n"
                .write(to: config, atomically: true, encoding: .utf8)
            let environment = ["SLUICE_MIGRATIONS": "/"]
            let quiet = try await Self.sluice(
                ["config", "check", "--quiet", "--config", config.path],
                environment: environment
            )
            let warning = quiet.errors.split(separator: "\n")
            if getuid() == 0 {
                #expect(
                    quiet.status == 0 && quiet.output.isEmpty && warning.count == 1
                        && warning[0].hasPrefix(
                            "warning: \(config.path):3: [graph] password_file: \(passwordFile.path)"
                        )
                        && warning[0].contains("DynamicUser=yes")
                        && warning[0].contains("/etc/sluice/credentials/bolt-password")
                        && !warning[0].contains("secret-7"),
                    "\(quiet.status) \(quiet.output)\(quiet.errors)"
                )
            } else {
                #expect(quiet.status == 0 && quiet.errors.isEmpty, "\(quiet.errors)")
            }
            try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: passwordFile.path)
            let readable = try await Self.sluice(
                ["config", "check", "--config", config.path],
                environment: environment
            )
            #expect(readable.status == 0 && readable.errors.isEmpty, "\(readable.errors)")
        }
    }

    /// `sluice new`'s file is valid as written, so `check` passes it, but warns of what the template left: its TODO
    /// description and its example label, which changes nothing; the repository's migrations have neither.
    @Test func checkWarnsOfWhatTheTemplateLeftUnchanged() async throws {
        try await Self.withFolder { folder in
            let migrations = folder.appendingPathComponent("migrations").path
            _ = try await Self.sluice(["new", "add_tier", "--migrations", migrations])
            let run = try await Self.sluice(["check", "--migrations", migrations])
            #expect(run.status == 0, "\(run.errors)")
            let warnings = run.output.split(separator: "\n").filter { $0.contains(": warning: ") }
            #expect(
                warnings.count == 2 && warnings[0].hasSuffix("the description is still the template's TODO")
                    && warnings[1].contains("the template's label ChangeMe"),
                "\(run.output)"
            )
            let repository = try await Self.sluice(["check", "--migrations", "migrations"])
            #expect(repository.status == 0 && !repository.output.contains("warning"), "\(repository.output)")
        }
    }

    /// An answer timeout that is not below the lease is said (a daemon waiting that long on Postgres loses its lease
    /// first), not refused: the daemon stays correct. `--quiet` says nothing of it: the daemon's start does.
    @Test func anAnswerTimeoutNotBelowTheLeaseIsACaution() async throws {
        let environment = [
            "SLUICE_POSTGRES_ANSWER_TIMEOUT": "90s", "SLUICE_POSTGRES": "host=/nonexistent", "SLUICE_MIGRATIONS": "/",
        ]
        let run = try await Self.sluice(["config", "check"], environment: environment)
        #expect(run.status == 0, "\(run.errors)")
        #expect(
            run.output.contains("# caution: [postgres] answer_timeout (1m30s) is not below [daemon] lease (1m)"),
            "\(run.output)"
        )
        let fine = try await Self.sluice(["config", "check"], environment: ["SLUICE_MIGRATIONS": "/"])
        #expect(fine.status == 0 && !fine.output.contains("caution"), "\(fine.output)\(fine.errors)")
        // As the unit's ExecReload= runs it: nothing at all when the file is valid.
        let quiet = try await Self.sluice(["config", "check", "--quiet"], environment: environment)
        #expect(quiet.status == 0 && quiet.output.isEmpty && quiet.errors.isEmpty, "\(quiet.output)\(quiet.errors)")
    }

    /// A metrics port in use stops the daemon at start with the system's reason, not NIO's call
    /// (`bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)`).
    @Test func aMetricsPortInUseIsRefusedWithTheSystemsReason() async throws {
        let taken = try TakenPort()
        defer { taken.close() }
        let run = try await Self.sluice(
            ["daemon"],
            environment: ["SLUICE_METRICS_LISTEN": "127.0.0.1:\(taken.port)", "SLUICE_POSTGRES": "host=/nonexistent"]
        )
        #expect(
            run.status != 0 && run.errors.contains("cannot listen on 127.0.0.1:\(taken.port): Address already in use")
                && !run.errors.contains("descriptor"),
            "\(run.errors)"
        )
    }

    /// A TCP port on 127.0.0.1 held open by the test.
    struct TakenPort {
        let descriptor: Int32
        let port: Int

        init() throws {
            let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                    bind(descriptor, socketAddress, length) == 0 && listen(descriptor, 1) == 0
                        && getsockname(descriptor, socketAddress, &length) == 0
                }
            }
            try #require(bound, "cannot bind a port for the test: errno \(errno)")
            self.descriptor = descriptor
            port = Int(UInt16(bigEndian: address.sin_port))
        }

        func close() { _ = Glibc.close(descriptor) }
    }

    @Test func rateLimitsAreCapped() async throws {
        let huge = "9223372036854775807"
        var run = try await Self.sluice(["throttle", "1", "--max-rate", huge])
        #expect(Self.isOneLineError(run, containing: "--max-rate must be at most 1000000000"), "\(run.errors)")
        run = try await Self.sluice(["run", "1", "--max-rate", huge])
        #expect(Self.isOneLineError(run, containing: "--max-rate must be between 1 and 1000000000"), "\(run.errors)")
        run = try await Self.sluice(["schedule", "--window", "daily 01:00-02:00 UTC: max \(huge) items/s"])
        #expect(Self.isOneLineError(run, containing: "above the highest rate limit"), "\(run.errors)")
    }
}
