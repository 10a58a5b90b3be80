import Bolt
import Foundation
import JobStore
import Testing

/// Secrets and access, tried for real: canary passwords (the graph's, the daemon's and an operator's Postgres
/// passwords, and wrong ones) must never show in what sluice prints, journals, or exposes through `/proc`; the
/// README's least-privilege roles must be enough for the daemon and for `sluice status`, and no more for the
/// operator; the daemon must not be dumpable.
@Suite(.serialized, .enabled(if: JobStoreTestDatabase.shouldRun()))
struct SecretsIntegrationTests {
    /// A password no other run uses, in letters and digits only (it goes through a shell and JSON unquoted).
    static func canary(_ what: String) -> String {
        "canary\(what)" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    @Test
    func canaryPasswordsNeverLeakAndTheLeastPrivilegeRolesAreEnough() async throws {
        guard let server = try BoltTestServer.named("arcadedb") else { return }
        guard let journal = JournalTestJournal.fromEnvironment() else { return }
        print("RAN canaryPasswordsNeverLeakAndTheLeastPrivilegeRolesAreEnough on \(server)")
        let graphCanary = Self.canary("graph")
        let daemonCanary = Self.canary("daemon")
        let operatorCanary = Self.canary("operator")
        let wrongGraphCanary = Self.canary("wronggraph")
        let wrongPostgresCanary = Self.canary("wrongpg")
        let canaries = [graphCanary, daemonCanary, operatorCanary, wrongGraphCanary, wrongPostgresCanary]
        func expectNoCanary(_ text: String, _ place: String, sourceLocation: SourceLocation = #_sourceLocation) {
            for canary in canaries where text.contains(canary) {
                Issue.record("a canary password is in \(place): \(text.suffix(2_000))", sourceLocation: sourceLocation)
            }
        }

        let graphUser = try await Self.createArcadeUser(password: graphCanary, database: server.database ?? "")
        let token = JournalTestJournal.uniqueToken()
        let daemonRole = "sluice_daemon_\(token)"
        let operatorRole = "sluice_operator_\(token)"
        let result: Result<Void, any Error>
        do {
            result = .success(
                try await DaemonFixture.with(
                    server: server,
                    migrations: DaemonFixture.firstStep,
                    nodes: 300
                ) { fixture in
                    // The README's GRANTs, as written there, for this fixture's schema and roles of this test.
                    let statements = try Self.leastPrivilegeStatements(
                        schema: fixture.store.schema.quoted,
                        daemon: daemonRole,
                        operatorRole: operatorRole
                    )
                    #expect(statements.count >= 6, "README's least-privilege block: \(statements)")
                    try await Self.asSuperuser(
                        statements + [
                            "ALTER ROLE \(daemonRole) PASSWORD '\(daemonCanary)'",
                            "ALTER ROLE \(operatorRole) PASSWORD '\(operatorCanary)'",
                        ]
                    )
                    let environment = JobStoreTestDatabase.environment
                    let port = try #require(environment["PGPORT"])
                    let database = environment["PGDATABASE"] ?? "sluice"
                    func conninfo(_ role: String) -> String {
                        "host=127.0.0.1 port=\(port) dbname=\(database) user=\(role)"
                    }
                    // Passwords only in files, as the unit passes them (credentials): libpq's pgpass, the graph's
                    // password_file.
                    func secretFile(_ name: String, _ line: String) throws -> String {
                        let file = fixture.folder.appendingPathComponent(name)
                        try (line + "\n").write(to: file, atomically: true, encoding: .utf8)
                        try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: file.path)
                        return file.path
                    }
                    let daemonPass = try secretFile(
                        "daemon.pgpass",
                        "127.0.0.1:\(port):*:\(daemonRole):\(daemonCanary)"
                    )
                    let operatorPass = try secretFile(
                        "operator.pgpass",
                        "127.0.0.1:\(port):*:\(operatorRole):\(operatorCanary)"
                    )
                    let wrongPass = try secretFile(
                        "wrong.pgpass",
                        "127.0.0.1:\(port):*:\(operatorRole):\(wrongPostgresCanary)"
                    )
                    let graphPassword = try secretFile("graph-password", graphCanary)
                    let wrongGraphPassword = try secretFile("wrong-graph-password", wrongGraphCanary)

                    let daemonEnvironment = [
                        "SLUICE_POSTGRES": conninfo(daemonRole), "PGPASSFILE": daemonPass,
                        "SLUICE_BOLT_USER": graphUser, "SLUICE_BOLT_PASSWORD_FILE": graphPassword,
                    ]
                    let daemon = try fixture.start(
                        worker: "canary",
                        environment: daemonEnvironment,
                        passwordInEnvironment: false,
                        logsToJournal: true
                    )
                    let job = try await fixture.enqueue(1, batchSize: 100)
                    let (done, _) = try await fixture.waitFor(job.id, timeout: .seconds(120), "succeeded") {
                        $0.state == .succeeded || $0.state == .failed
                    }
                    #expect(done.state == .succeeded, "job ended \(done.state): \(done.lastError ?? "")")
                    #expect(done.planDone == 300)

                    // The running daemon: its command line and environment hold file names, not passwords; it
                    // starts no other process, so there is no child's environment to leak into.
                    let pid = daemon.pid
                    let cmdline = try Self.procFile(pid, "cmdline")
                    #expect(cmdline.contains("daemon"), "not the daemon's command line: \(cmdline)")
                    expectNoCanary(cmdline, "/proc/\(pid)/cmdline")
                    let environ = try Self.procFile(pid, "environ")
                    #expect(environ.contains("PGPASSFILE="), "not the daemon's environment: \(environ)")
                    expectNoCanary(environ, "/proc/\(pid)/environ")
                    #expect(Self.children(of: pid).isEmpty, "the daemon spawned \(Self.children(of: pid))")

                    let configFile = fixture.folder.appendingPathComponent("canary.toml").path
                    var client = ["PATH": "/usr/bin:/bin"]
                    client["PGHOST"] = environment["PGHOST"]
                    client["PGPORT"] = port
                    func sluice(_ arguments: [String], _ extra: [String: String]) async throws -> CypherCommandTests.Run
                    {
                        let run = try await CypherCommandTests.sluice(
                            arguments,
                            environment: client.merging(extra) { _, new in new }
                        )
                        expectNoCanary(
                            run.output + run.errors,
                            "the output of sluice \(arguments.joined(separator: " "))"
                        )
                        return run
                    }

                    let check = try await sluice(["config", "check", "--config", configFile], daemonEnvironment)
                    #expect(check.status == 0, "config check: \(check.errors)")
                    #expect(check.output.contains("password"), "config check shows no password line: \(check.output)")

                    let graph = [
                        "SLUICE_BOLT_URL": "\(server.url)", "SLUICE_BOLT_USER": graphUser,
                        "SLUICE_BOLT_DATABASE": server.database ?? "",
                    ]
                    let cypher = try await sluice(
                        ["cypher", "--password-file", graphPassword, "RETURN 1 AS one"],
                        graph
                    )
                    #expect(cypher.status == 0, "cypher with the canary password: \(cypher.errors)")
                    let refused = try await sluice(
                        ["cypher", "--password-file", wrongGraphPassword, "RETURN 1 AS one"],
                        graph
                    )
                    #expect(refused.status != 0, "cypher with a wrong password succeeded: \(refused.output)")
                    #expect(refused.errors.hasPrefix("sluice: error: "), "\(refused.errors)")

                    let schema = ["--schema", fixture.schema]
                    let status = try await sluice(
                        ["status", "\(job.id)"] + schema,
                        ["SLUICE_POSTGRES": conninfo(operatorRole), "PGPASSFILE": operatorPass]
                    )
                    #expect(status.status == 0, "status as the read-only operator: \(status.errors)")
                    #expect(status.output.contains("succeeded"), "\(status.output)")
                    let pause = try await sluice(
                        ["pause", "\(job.id)"] + schema,
                        ["SLUICE_POSTGRES": conninfo(operatorRole), "PGPASSFILE": operatorPass]
                    )
                    #expect(pause.status != 0, "the read-only operator paused a job: \(pause.output)")
                    #expect(pause.errors.contains("permission denied"), "\(pause.errors)")
                    let wrong = try await sluice(
                        ["status", "\(job.id)"] + schema,
                        ["SLUICE_POSTGRES": conninfo(operatorRole), "PGPASSFILE": wrongPass]
                    )
                    #expect(wrong.status != 0, "status with a wrong Postgres password succeeded: \(wrong.output)")
                    #expect(wrong.errors.contains("password authentication failed"), "\(wrong.errors)")

                    let (exit, _) = await DaemonFixture.stop(daemon)
                    #expect(exit == 0, "daemon exit status \(exit.map { "\($0)" } ?? "none: killed")")
                    expectNoCanary(daemon.standardOutput + daemon.standardError, "the daemon's stdout or stderr")
                    let entries = try await journal.entries(where: "_PID", is: "\(pid)", count: 3)
                    let messages = entries.compactMap { $0["MESSAGE"]?.first }
                    #expect(entries.count >= 3, "the daemon journalled \(messages)")
                    for entry in entries {
                        expectNoCanary(
                            entry.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "\n"),
                            "a journal entry"
                        )
                    }
                    expectNoCanary(done.lastError ?? "", "the job's last error")
                    print(
                        "daemon journalled \(entries.count) entries, \(messages.count) with MESSAGE; none held a canary"
                    )
                    if done.state != .succeeded || exit != 0 { DaemonFixture.dump(daemon, "daemon") }
                }
            )
        } catch {
            result = .failure(error)
        }
        try? await Self.asSuperuser([
            "DROP OWNED BY \(daemonRole), \(operatorRole)", "DROP ROLE \(daemonRole)", "DROP ROLE \(operatorRole)",
        ])
        try? await Self.dropArcadeUser(graphUser)
        try result.get()
    }

    @Test func theDaemonIsNotDumpable() async throws {
        try JobStoreTestDatabase.requireConfigured()
        // As root every /proc file is readable whatever the flag; run as nobody, a process's /proc/PID/status belongs
        // to it while it is dumpable and to root once it is not (the kernel's task_dump_owner; the /proc/PID
        // directory itself keeps the process's owner). A daemon whose Postgres does not answer keeps waiting for it,
        // long enough to look.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-dumpable-\(JournalTestJournal.uniqueToken())"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let config = folder.appendingPathComponent("sluice.toml")
        try """
        [postgres]
        conninfo = "host=127.0.0.1 port=1 connect_timeout=1"

        [graph]
        url = "bolt://127.0.0.1:1"

        [migrations]
        folder = "\(folder.path)"
        """.write(to: config, atomically: true, encoding: .utf8)
        let nobody = ["--reuid=65534", "--regid=65534", "--clear-groups"]
        let control = try JobStoreTestDatabase.Child("setpriv", nobody + ["sleep", "30"])
        let daemon = try JobStoreTestDatabase.Child(
            "setpriv",
            nobody + [CypherCommandTests.executable.path, "daemon", "--config", config.path],
            environment: ["PATH": "/usr/bin:/bin"]
        )
        defer {
            control.kill(SIGKILL)
            daemon.kill(SIGKILL)
        }
        // sleep: once exec'd. The daemon: once it logs that it started, which is after it cleared the flag
        // (first thing, before reading its configuration).
        let controlOwner = try await Self.owner(of: control.pid) { cmdline in cmdline.hasPrefix("sleep") }
        let daemonOwner = try await Self.owner(of: daemon.pid) { cmdline in
            cmdline.contains("daemon") && daemon.standardError.contains("sluice daemon started")
        }
        #expect(controlOwner == 65534, "a dumpable process of nobody's: /proc/PID/status owned by \(controlOwner)")
        #expect(daemonOwner == 0, "the daemon's /proc/PID/status is owned by \(daemonOwner), not root: it is dumpable")
        print("/proc/PID/status owner: sleep \(controlOwner), sluice daemon \(daemonOwner) (both run as 65534)")
        if daemonOwner != 0 { DaemonFixture.dump(daemon, "daemon") }
        let (exit, _) = await DaemonFixture.stop(daemon)
        #expect(exit == 0, "daemon exit status \(exit.map { "\($0)" } ?? "none: killed"): \(daemon.standardError)")
    }

    @Test func theUnitForbidsCoreDumps() throws {
        let unit = try String(
            contentsOf: JobStoreTestDatabase.repositoryRoot.appendingPathComponent("systemd/sluice.service"),
            encoding: .utf8
        )
        #expect(unit.split(separator: "\n").contains("LimitCORE=0"))
    }

    // MARK: Helpers

    /// The owner of /proc/PID/status once the process runs as nobody and `ready` holds for its command line.
    static func owner(of pid: Int32, once ready: (String) -> Bool) async throws -> UInt32 {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let status = (try? procFile(pid, "status")) ?? ""
            let cmdline = (try? procFile(pid, "cmdline")) ?? ""
            if status.contains("Uid:\t65534"), !cmdline.hasPrefix("setpriv"), ready(cmdline) {
                var info = stat()
                guard stat("/proc/\(pid)/status", &info) == 0 else { break }
                return info.st_uid
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw DaemonTestSetupError("process \(pid) did not get ready as nobody within 60 s")
    }

    /// A /proc file of `pid`, NULs shown as spaces.
    static func procFile(_ pid: Int32, _ name: String) throws -> String {
        let data = try Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/\(name)"))
        return String(decoding: data.map { $0 == 0 ? 0x20 : $0 }, as: UTF8.self)
    }

    /// The pids of `pid`'s children, from every thread's `children` list.
    static func children(of pid: Int32) -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        return tasks.flatMap { task in
            ((try? procFile(pid, "task/\(task)/children")) ?? "").split(separator: " ").map(String.init)
        }
    }

    /// The statements of the README's "Least privilege" SQL block, for `schema` and the two roles.
    static func leastPrivilegeStatements(schema: String, daemon: String, operatorRole: String) throws -> [String] {
        let readme = try String(
            contentsOf: JobStoreTestDatabase.repositoryRoot.appendingPathComponent("README.md"),
            encoding: .utf8
        )
        guard let section = readme.range(of: "## Least privilege"),
            let start = readme.range(of: "```sql\n", range: section.upperBound..<readme.endIndex),
            let end = readme.range(of: "```", range: start.upperBound..<readme.endIndex)
        else { throw DaemonTestSetupError("README.md has no ```sql block under ## Least privilege") }
        let code = readme[start.upperBound..<end.lowerBound].split(separator: "\n")
            .filter { !$0.hasPrefix("--") }.joined(separator: "\n")
        return code.split(separator: ";").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .map {
                $0.replacingOccurrences(of: "sluice_daemon", with: daemon)
                    .replacingOccurrences(of: "sluice_operator", with: operatorRole)
                    .replacingOccurrences(of: "SCHEMA sluice ", with: "SCHEMA \(schema) ")
            }
    }

    /// Runs `statements` as the superuser `postgres` (trusted on the local socket of the test server).
    static func asSuperuser(_ statements: [String]) async throws {
        let connection = try await PostgresConnection.connect(
            configuration: PostgresConfiguration(conninfo: "user=postgres")
        )
        do {
            for statement in statements { try await connection.query(statement) }
            await connection.close()
        } catch {
            await connection.close()
            throw error
        }
    }

    /// An ArcadeDB user with `password` and admin rights on `database`, through the HTTP API as root.
    static func createArcadeUser(password: String, database: String) async throws -> String {
        let name = "sluice_canary_\(JournalTestJournal.uniqueToken())"
        let command =
            "create user {\\\"name\\\":\\\"\(name)\\\",\\\"password\\\":\\\"\(password)\\\",\\\"databases\\\":{\\\"\(database)\\\":\\\"admin\\\"}}"
        let (status, output) = try await arcadeServerCommand(command)
        guard status == 0 else { throw DaemonTestSetupError("cannot create ArcadeDB user \(name): \(output)") }
        return name
    }

    static func dropArcadeUser(_ name: String) async throws {
        _ = try await arcadeServerCommand("drop user \(name)")
    }

    static func arcadeServerCommand(_ command: String) async throws -> (Int32, String) {
        let environment = JobStoreTestDatabase.environment
        guard let http = environment["SLUICE_TEST_ARCADEDB_HTTP_URL"],
            let root = environment["SLUICE_TEST_ARCADEDB_PASSWORD"]
        else {
            throw DaemonTestSetupError("SLUICE_TEST_ARCADEDB_HTTP_URL is not set: run through scripts/test")
        }
        return try await JobStoreTestDatabase.shell(
            "curl -s -f -u 'root:\(root)' -X POST \(http)/api/v1/server -d '{\"command\":\"\(command)\"}'"
        )
    }
}
