import Foundation
import JobStore
import Testing

/// One of the two Postgres clusters `scripts/services` runs for the tests, as `.services/env` names them.
///
/// `.shared` (service `postgres`, found through libpq's `PGHOST`/`PGPORT`) serves every suite at once. `.outage`
/// (service `postgres-outage`, `SLUICE_TEST_PG_OUTAGE_HOST`/`SLUICE_TEST_PG_OUTAGE_PORT`) serves only the tests that
/// stop or restart their Postgres: restarting the shared one would cut off the suites running at the same time. Both
/// have the role and database `PGUSER`/`PGDATABASE` name (`sluice`), reached through the socket without a password.
/// One test at a time uses the outage cluster (``use(_:)``).
struct PostgresTestCluster: Sendable, CustomStringConvertible {
    /// The service's name in `scripts/services`.
    let service: String
    /// The socket directory (or host name) and port; nil when the environment does not name them.
    let host: String?
    let port: String?
    /// The variables naming `host` and `port`, for the reason a test cannot run.
    let variables: String
    /// The variable that gives `scripts/services` the cluster's port.
    let portVariable: String
    /// The socket directory `scripts/services` gives the cluster, below `.services/`.
    let servicesDirectory: String
    /// Taken by a test for all the time it uses the cluster; nil when tests share it.
    private let turn: ExclusiveTurn?

    private static let environment = ProcessInfo.processInfo.environment

    static let shared = PostgresTestCluster(
        service: "postgres",
        host: environment["PGHOST"],
        port: environment["PGPORT"],
        variables: "PGHOST/PGPORT",
        portVariable: "SLUICE_PG_PORT",
        servicesDirectory: "pg",
        turn: nil
    )

    static let outage = PostgresTestCluster(
        service: "postgres-outage",
        host: environment["SLUICE_TEST_PG_OUTAGE_HOST"],
        port: environment["SLUICE_TEST_PG_OUTAGE_PORT"],
        variables: "SLUICE_TEST_PG_OUTAGE_HOST/SLUICE_TEST_PG_OUTAGE_PORT",
        portVariable: "SLUICE_PG_OUTAGE_PORT",
        servicesDirectory: "pg-outage",
        turn: ExclusiveTurn()
    )

    /// How long the outage tests keep Postgres stopped: `SLUICE_PG_OUTAGE_SECONDS`, 30 under `scripts/reliability`
    /// (the issue's number), 20 in the normal suite.
    static let outageLength: Duration = .seconds(Int(environment["SLUICE_PG_OUTAGE_SECONDS"] ?? "") ?? 20)

    var description: String { "Postgres \(service) (\(host ?? "?"), port \(port ?? "?"))" }

    var isConfigured: Bool { host != nil && port != nil }

    var missingReason: String {
        "\(variables) not set: run `scripts/services start \(service)` and `source .services/env` to run the "
            + "integration tests that use it"
    }

    /// Why a test cannot run: thrown under CI too, where a missing cluster must fail the run, not skip it.
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    func requireConfigured() throws {
        guard isConfigured else { throw Missing(description: missingReason) }
    }

    /// A libpq conninfo naming the cluster's host and port (user and database come from libpq's environment).
    var conninfo: String {
        guard let host, let port else { return "" }
        return "host=\(Self.quoted(host)) port=\(Self.quoted(port))"
    }

    /// The libpq environment a child process (a daemon) reaches the cluster with.
    var libpqEnvironment: [String: String] {
        var variables = ["PGHOST": host, "PGPORT": port].compactMapValues { $0 }
        for key in ["PGUSER", "PGDATABASE"] { variables[key] = Self.environment[key] }
        return variables
    }

    /// The shell command running `scripts/services VERB SERVICE` on the cluster's port, when the environment points
    /// at the cluster `scripts/services` runs (never at a Postgres of someone else's).
    func servicesCommand(_ verb: String) -> String? {
        let script = JobStoreTestDatabase.repositoryRoot.appendingPathComponent("scripts/services").path
        guard FileManager.default.isExecutableFile(atPath: script), host == socketDirectory, let port,
            port.allSatisfy(\.isNumber)
        else { return nil }
        return "\(portVariable)=\(port) '\(script)' \(verb) \(service)"
    }

    /// The socket directory `scripts/services` gives the cluster (its data directory is `data` in it).
    private var socketDirectory: String {
        JobStoreTestDatabase.repositoryRoot.appendingPathComponent(".services").appendingPathComponent(
            servicesDirectory
        ).path
    }

    /// Makes the cluster hang instead of refusing, as a hung host or a partition that drops packets does: SIGSTOP to
    /// its postmaster, then to every process it forked (backends, checkpointer...). The kernel still accepts
    /// connections and takes what is sent, and nothing answers. Returns the processes stopped for ``thaw(_:)``,
    /// which the test must call in a `defer` too, so that a failing test never leaves the cluster stopped; nil when
    /// the cluster is not the one `scripts/services` runs (its postmaster is not ours to stop).
    func freeze() -> [pid_t]? {
        guard servicesCommand("stop") != nil,
            let text = try? String(contentsOfFile: socketDirectory + "/data/postmaster.pid", encoding: .utf8),
            let postmaster = text.split(separator: "\n").first.flatMap({ pid_t($0) }),
            kill(postmaster, SIGSTOP) == 0
        else { return nil }
        // Stopped, the postmaster forks no more: its children are all there is to stop.
        let children =
            (try? String(contentsOfFile: "/proc/\(postmaster)/task/\(postmaster)/children", encoding: .utf8)) ?? ""
        let stopped = [postmaster] + children.split(separator: " ").compactMap { pid_t($0) }
        for child in stopped.dropFirst() { kill(child, SIGSTOP) }
        return stopped
    }

    /// Lets the processes ``freeze()`` stopped go on (SIGCONT); harmless when they run already.
    func thaw(_ processes: [pid_t]) {
        for process in processes { kill(process, SIGCONT) }
    }

    /// Runs `body`, a test's use of the cluster: on the outage cluster once no other test of this process uses it
    /// (the outage tests sit in different suites, which run in parallel, and one's outage must not fall in the
    /// middle of the other's), on the shared one at once.
    func use<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        guard let turn else { return try await body() }
        return try await turn.run(body)
    }

    /// How to restart the cluster: `SLUICE_TEST_PG_RESTART` (a shell command, for a Postgres `scripts/services` does
    /// not run; only the outage tests restart theirs), else `scripts/services` stop and start.
    func restartCommand() -> String? {
        if let command = Self.environment["SLUICE_TEST_PG_RESTART"], !command.isEmpty { return command }
        guard let stop = servicesCommand("stop"), let start = servicesCommand("start") else { return nil }
        return "\(stop) && \(start)"
    }

    /// Says why a test cannot stop or restart the cluster: an issue under `CI=true` (CI must not pass by skipping), a
    /// printed line otherwise.
    func reportUncontrollable(skipping test: String) {
        let reason =
            isConfigured
            ? "no way to stop or restart \(self): use scripts/services (or set SLUICE_TEST_PG_RESTART to restart it)"
            : missingReason
        if Self.environment["CI"] == "true" { Issue.record(Comment(rawValue: reason)) }
        print("\(test) skipped: \(reason)")
    }

    /// Runs `sql` (one statement, or a `DO` block) as the superuser `postgres` through the cluster's socket, in
    /// database `sluice`, with writes allowed even while a test has made the server read-only; returns psql's output
    /// (unaligned, tuples only). For what the tests' own role may not do: `ALTER SYSTEM`, tablespaces.
    @discardableResult
    func superuser(_ sql: String, sourceLocation: SourceLocation = #_sourceLocation) async throws -> String {
        guard let host, let port else { throw Missing(description: missingReason) }
        var environment = Self.environment
        environment["PGOPTIONS"] = "-c default_transaction_read_only=off"
        let psql = try JobStoreTestDatabase.Child(
            "psql",
            [
                "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "postgres", "-d",
                "sluice",
                "-c", sql,
            ],
            environment: environment
        )
        let status = await psql.wait()
        try #require(
            status == 0,
            "psql as postgres on \(self) failed: \(psql.standardError)",
            sourceLocation: sourceLocation
        )
        return psql.standardOutput
    }

    /// A conninfo value in single quotes, with quotes and backslashes escaped as libpq reads them.
    private static func quoted(_ value: String) -> String {
        "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
