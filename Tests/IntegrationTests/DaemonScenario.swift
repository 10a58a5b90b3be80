import Bolt
import Foundation
import JobStore
import Testing

/// One end-to-end scenario of the daemon under systemd: a ``DaemonFixture`` (job-store schema, nodes, migration 007
/// that adds one to every node's count, so a batch done twice shows) and a systemd sandbox where `scripts/install`
/// put the built binary, the unit and the catalog, configured for the fixture's Postgres schema and graph, with the
/// passwords as systemd credentials.
struct DaemonScenario {
    let fixture: DaemonFixture
    let sandbox: SluiceSandbox
    let nodes: Int

    /// Where the fixture's migrations folder is seen inside the sandbox.
    static let migrationsFolder = "/var/lib/sluice-test/migrations"

    /// Runs `body` in a fresh scenario on ArcadeDB and cleans up however it ends. Does nothing (the reason
    /// printed, or recorded as a failure under `CI=true`) when Postgres, ArcadeDB or the sandbox is not available.
    ///
    /// `settings` are extra TOML lines by section (e.g. `["throttle": "max_items_per_second = 1500"]`); `dropIn`
    /// is a drop-in for the unit, for what a test needs shorter than production's.
    static func run(
        name: String,
        nodes: Int,
        settings: [String: String] = [:],
        dropIn: String? = nil,
        cluster: PostgresTestCluster = .shared,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: (DaemonScenario) async throws -> Void
    ) async throws {
        guard let server = try BoltTestServer.named("arcadedb", sourceLocation: sourceLocation) else { return }
        let environment = ProcessInfo.processInfo.environment
        guard JobStoreTestDatabase.isConfigured, cluster.isConfigured, let pgPort = cluster.port,
            let pgPassword = environment["SLUICE_TEST_PG_PASSWORD"]
        else {
            let reason =
                "\(name): \(cluster) or SLUICE_TEST_PG_PASSWORD is not set (run the tests through scripts/test)"
            if environment["CI"] == "true" {
                Issue.record("CI=true but \(reason)", sourceLocation: sourceLocation)
            } else {
                print("SKIPPED \(reason)")
            }
            return
        }
        try await DaemonFixture.with(
            server: server,
            cluster: cluster,
            migrations: ["007_count_once.cypher": DaemonFixture.countingMigration(step: 1)],
            nodes: nodes
        ) { fixture in
            guard
                let sandbox = try await SluiceSandbox.start(
                    name: name,
                    binary: CypherCommandTests.executable,
                    binds: [fixture.folder.path: migrationsFolder],
                    sourceLocation: sourceLocation
                )
            else { return }
            do {
                try await configure(
                    sandbox,
                    fixture: fixture,
                    pgPort: pgPort,
                    pgPassword: pgPassword,
                    settings: settings
                )
                if let dropIn { try await sandbox.dropIn(dropIn) }
                print("RAN \(name) on \(server), job store schema \(fixture.schema), \(nodes) :\(fixture.label) nodes")
                try await body(DaemonScenario(fixture: fixture, sandbox: sandbox, nodes: nodes))
            } catch {
                if let log = try? await sandbox.exec("journalctl", "-u", "sluice", "--no-pager", "-n", "60") {
                    print("---- journal of \(name) ----\n\(log)---- end ----")
                }
                await sandbox.stop()
                throw error
            }
            await sandbox.stop()
        }
    }

    /// `/etc/sluice/sluice.toml` for the fixture, and the credentials the unit loads: the graph's password and a
    /// pgpass line for Postgres over TCP (the daemon's dynamic user may not use the socket's trust).
    private static func configure(
        _ sandbox: SluiceSandbox,
        fixture: DaemonFixture,
        pgPort: String,
        pgPassword: String,
        settings: [String: String]
    ) async throws {
        let server = fixture.server
        var sections = [
            "postgres": "conninfo = \"host=127.0.0.1 port=\(pgPort) user=sluice dbname=sluice\"\n"
                + "schema = \"\(fixture.schema)\"",
            "graph": "url = \"\(server.url)\"\ndatabase = \"\(server.database ?? "")\"",
            "migrations": "folder = \"\(migrationsFolder)\"",
            "daemon": "poll_interval = \"1s\"",
            "throttle": DaemonFixture.testThrottle.sorted { $0.key < $1.key }.map { "\($0.key) = \"\($0.value)\"" }
                .joined(separator: "\n"),
        ]
        if case .basic(let user, let password) = server.auth {
            sections["graph", default: ""] += "\nuser = \"\(user)\""
            try await sandbox.write(password + "\n", to: "/etc/sluice/credentials/bolt-password", mode: "0600")
        }
        for (section, lines) in settings { sections[section, default: ""] += "\n" + lines }
        let text = sections.sorted { $0.key < $1.key }.map { "[\($0.key)]\n\($0.value)\n" }.joined(separator: "\n")
        try await sandbox.write(text, to: "/etc/sluice/sluice.toml")
        try await sandbox.write(
            "127.0.0.1:\(pgPort):*:sluice:\(pgPassword)\n",
            to: "/etc/sluice/credentials/pgpass",
            mode: "0600"
        )
    }

    /// `systemctl start sluice`, which for `Type=notify` returns once the daemon sent READY=1: how long it took.
    func startDaemon() async throws -> Duration {
        let started = ContinuousClock.now
        try await sandbox.exec("systemctl", "start", "sluice")
        return ContinuousClock.now - started
    }

    /// The unit's main process id inside the sandbox (0: none).
    func mainPID() async throws -> Int {
        await Int(try sandbox.show("MainPID")["MainPID"] ?? "") ?? 0
    }

    /// The job once `condition` holds; a recorded failure (with `systemctl status`) when it did not in time.
    @discardableResult
    func waitForJob(_ id: JobID, timeout: Duration, _ what: String, _ condition: (Job) -> Bool) async throws -> Job {
        let (job, _) = try await fixture.waitFor(id, timeout: timeout, what, condition)
        if !condition(job) {
            await print((try? sandbox.exec("systemctl", "status", "sluice", "--no-pager", "-n", "30")) ?? "")
        }
        return job
    }

    /// Every node's count is exactly 1: each was changed once, none skipped, none twice.
    func expectEveryNodeChangedOnce(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await fixture.expectEveryNodeChangedOnce(nodes, sourceLocation: sourceLocation)
    }
}
