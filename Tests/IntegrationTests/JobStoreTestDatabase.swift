import Foundation
import JobStore
import Testing

/// The Postgres the JobStore integration tests use: by default the shared cluster `scripts/services start postgres`
/// runs, found through libpq's environment (`PGHOST`, `PGPORT`, `PGUSER`, `PGDATABASE`, as `.services/env` exports
/// them); tests that stop or restart Postgres use the outage cluster instead (``PostgresTestCluster``).
///
/// Without `PGHOST`/`PGPORT` the tests are skipped with a printed reason, except under `CI=true`, where they fail:
/// CI must never pass by skipping. Each test works in a schema of its own (`sluice_test_<random>`), dropped at the
/// end.
enum JobStoreTestDatabase {
    static let environment = ProcessInfo.processInfo.environment

    static var isConfigured: Bool { PostgresTestCluster.shared.isConfigured }

    static let missingReason = PostgresTestCluster.shared.missingReason

    /// The suite's enabling condition: run when configured, and under CI (where the tests then fail loudly).
    static func shouldRun() -> Bool {
        isConfigured || environment["CI"] == "true" || reportSkip
    }

    /// Prints the reason once, then answers false.
    private static let reportSkip: Bool = {
        print("JobStore integration tests skipped: \(missingReason)")
        return false
    }()

    /// Fails the test (CI without a database) or returns normally.
    static func requireConfigured() throws {
        try PostgresTestCluster.shared.requireConfigured()
    }

    /// The repository root, from this file's path.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    static func uniqueSchema() -> String {
        "sluice_test_" + String(UInt64.random(in: 0...UInt64.max), radix: 36)
    }

    static func configuration(
        schema: String,
        conninfo: String = "",
        applicationName: String = "sluice-test",
        answerTimeout: Duration = .seconds(30),
        reconnect: PostgresReconnectPolicy = .default
    ) -> JobStoreConfiguration {
        JobStoreConfiguration(
            postgres: PostgresConfiguration(
                conninfo: conninfo,
                applicationName: applicationName,
                answerTimeout: answerTimeout,
                reconnect: reconnect
            ),
            schema: schema
        )
    }

    /// Runs `body` with a migrated store in a fresh schema of `cluster` (once it is this test's to use), and drops
    /// the schema afterwards.
    static func withStore<T: Sendable>(
        cluster: PostgresTestCluster = .shared,
        migrate: Bool = true,
        answerTimeout: Duration = .seconds(30),
        reconnect: PostgresReconnectPolicy = .default,
        _ body: (JobStore) async throws -> T
    ) async throws -> T {
        try cluster.requireConfigured()
        return try await cluster.use {
            let schema = uniqueSchema()
            do {
                let store = try await JobStore.open(
                    configuration(
                        schema: schema,
                        conninfo: cluster.conninfo,
                        applicationName: "sluice-test-" + schema,
                        answerTimeout: answerTimeout,
                        reconnect: reconnect
                    ),
                    migrate: migrate
                )
                let result = try await body(store)
                await store.close()
                await dropSchema(schema, in: cluster)
                return result
            } catch {
                await dropSchema(schema, in: cluster)
                throw error
            }
        }
    }

    static func dropSchema(_ schema: String, in cluster: PostgresTestCluster = .shared) async {
        do {
            let connection = try await PostgresConnection.connect(
                configuration: PostgresConfiguration(conninfo: cluster.conninfo)
            )
            try await connection.query("DROP SCHEMA IF EXISTS " + PostgresIdentifier.quote(schema) + " CASCADE")
            await connection.close()
        } catch {
            print("could not drop test schema \(schema): \(error)")
        }
    }

    /// Makes the job ids of `store` start at a random number. Job ids start at 1 in every schema, and the graph-side
    /// job node is keyed by the id alone: tests running at once on one graph would share nodes.
    static func randomizeJobIDs(of store: JobStore) async throws {
        try await store.connection.query(
            "ALTER TABLE \(store.schema.quoted).jobs ALTER COLUMN id RESTART WITH "
                + "\(Int64.random(in: 1_000_000...1_000_000_000_000))"
        )
    }

    /// Claims `job` from `store` as `worker`, for a test that runs it itself; fails when the store hands out another.
    static func claim(
        _ job: Job,
        from store: JobStore,
        as worker: String,
        for leaseDuration: Duration = .seconds(120)
    ) async throws -> JobLease {
        guard let lease = try await store.claim(worker: WorkerIdentity(rawValue: worker), leaseDuration: leaseDuration),
            lease.jobID == job.id
        else { throw TestFailure("job \(job.id) could not be claimed") }
        return lease
    }

    /// A job request for `target` (a made-up Bolt host).
    static func request(target: String, version: String = "007", priority: Int = 0) -> JobRequest {
        JobRequest(
            migrationVersion: version,
            migrationName: "normalized_name",
            migrationChecksum: "sha256:test",
            target: JobTarget(url: "bolt://\(target):7687", database: "neo4j"),
            batchSize: 10_000,
            priority: priority,
            enqueuedBy: "test"
        )
    }

    // MARK: processes

    /// A child process whose output goes to temporary files (no pipe to fill up and block it).
    final class Child: @unchecked Sendable {
        let process = Process()
        let output: URL
        let errors: URL
        /// Extra files to delete with the child (a psql script).
        var temporaryFiles: [URL] = []

        /// `stderrIsJournal`: `JOURNAL_STREAM` names the stderr file, so sluice logs to the journal as it does when
        /// systemd runs it (structured entries through journald's socket), and its stderr holds only what bypasses
        /// logging. `directory`: where it runs (the test's own by default).
        init(
            _ executable: String,
            _ arguments: [String],
            environment: [String: String]? = nil,
            stderrIsJournal: Bool = false,
            input: String? = nil,
            directory: URL? = nil
        ) throws {
            let temporary = FileManager.default.temporaryDirectory
            output = temporary.appendingPathComponent("sluice-test-\(UUID().uuidString).out")
            errors = temporary.appendingPathComponent("sluice-test-\(UUID().uuidString).err")
            _ = FileManager.default.createFile(atPath: output.path, contents: nil)
            _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = [executable] + arguments
            var environment = environment
            if stderrIsJournal {
                var file = stat()
                guard stat(errors.path, &file) == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
                environment = (environment ?? ProcessInfo.processInfo.environment)
                    .merging(["JOURNAL_STREAM": "\(file.st_dev):\(file.st_ino)"]) { _, new in new }
            }
            if let environment { process.environment = environment }
            if let directory { process.currentDirectoryURL = directory }
            process.standardOutput = try FileHandle(forWritingTo: output)
            process.standardError = try FileHandle(forWritingTo: errors)
            let stdin = Pipe()
            process.standardInput = input == nil ? FileHandle.nullDevice : stdin
            // A termination handler, not waitUntilExit: the latter can spin forever in corelibs Foundation when the
            // child leaves a daemon behind (pg_ctl's postmaster).
            process.terminationHandler = { [weak self] process in self?.exited(process.terminationStatus) }
            try process.run()
            if let input {
                stdin.fileHandleForWriting.write(Data(input.utf8))
                try stdin.fileHandleForWriting.close()
            }
        }

        private let lock = NSLock()
        private var status: Int32? = nil
        private var waiters: [CheckedContinuation<Int32, Never>] = []

        private func exited(_ code: Int32) {
            lock.lock()
            status = code
            let pending = waiters
            waiters = []
            lock.unlock()
            for waiter in pending { waiter.resume(returning: code) }
        }

        var pid: Int32 { process.processIdentifier }

        /// Waits for the exit without blocking a thread.
        func wait() async -> Int32 {
            await withCheckedContinuation { continuation in
                lock.lock()
                if let status {
                    lock.unlock()
                    continuation.resume(returning: status)
                } else {
                    waiters.append(continuation)
                    lock.unlock()
                }
            }
        }

        func kill(_ signal: Int32) {
            _ = Foundation.kill(process.processIdentifier, signal)
        }

        var standardOutput: String { (try? String(contentsOf: output, encoding: .utf8)) ?? "" }
        var standardError: String { (try? String(contentsOf: errors, encoding: .utf8)) ?? "" }

        deinit {
            if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
            try? FileManager.default.removeItem(at: output)
            try? FileManager.default.removeItem(at: errors)
            for file in temporaryFiles { try? FileManager.default.removeItem(at: file) }
        }
    }

    /// `psql` running `script`, quiet, unaligned, tuples only, stopping at the first error.
    static func psql(_ script: String) throws -> Child {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString).sql")
        try script.write(to: file, atomically: true, encoding: .utf8)
        let child = try Child("psql", ["-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-f", file.path])
        child.temporaryFiles.append(file)
        return child
    }

    /// Runs a shell command to completion; returns its status and combined output.
    ///
    /// Spawned directly with every descriptor above stderr closed, not through Foundation's `Process`: a command
    /// that starts a daemon (pg_ctl's postmaster) would otherwise hand it the descriptor `Process` watches for the
    /// child's exit, and the wait would never end.
    static func shell(_ command: String) async throws -> (Int32, String) {
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-test-\(UUID().uuidString).log")
        defer { try? FileManager.default.removeItem(at: log) }
        let status: Int32 = await withCheckedContinuation { continuation in
            let thread = Thread {
                var actions = posix_spawn_file_actions_t()
                posix_spawn_file_actions_init(&actions)
                defer { posix_spawn_file_actions_destroy(&actions) }
                posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
                posix_spawn_file_actions_addopen(&actions, 1, log.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
                posix_spawn_file_actions_adddup2(&actions, 1, 2)
                for fd in Int32(3)..<1024 { posix_spawn_file_actions_addclose(&actions, fd) }
                let words: [String] = ["/bin/sh", "-c", command]
                let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
                defer { for arg in argv { free(arg) } }
                var pid: pid_t = 0
                guard posix_spawn(&pid, "/bin/sh", &actions, nil, argv, environ) == 0 else {
                    continuation.resume(returning: -1)
                    return
                }
                var status: Int32 = 0
                while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
                let exited = status & 0x7f == 0
                continuation.resume(returning: exited ? (status >> 8) & 0xff : 128 + status & 0x7f)
            }
            thread.start()
        }
        return (status, (try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }
}

/// Events received by a listener, each stamped with the time it arrived.
actor ReceivedEvents {
    private(set) var events: [(at: ContinuousClock.Instant, event: PostgresListener.Event)] = []

    func append(_ event: PostgresListener.Event) {
        events.append((ContinuousClock.now, event))
    }

    /// Waits until at least `count` events arrived, or `timeout` passed; returns the events.
    func waitFor(count: Int, timeout: Duration) async -> [(at: ContinuousClock.Instant, event: PostgresListener.Event)]
    {
        let deadline = ContinuousClock.now + timeout
        while events.count < count, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(1))
        }
        return events
    }

    /// Starts a task that records every event of `listener`.
    nonisolated func record(_ listener: PostgresListener) -> Task<Void, Never> {
        Task {
            for await event in listener.events { await self.append(event) }
        }
    }
}

/// Polls `condition` every 50 ms until it holds or `timeout` passes.
func eventually(
    timeout: Duration = .seconds(10),
    _ condition: () async throws -> Bool
) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

extension Duration {
    var milliseconds: Double {
        let c = components
        return Double(c.seconds) * 1000 + Double(c.attoseconds) / 1e15
    }
}
