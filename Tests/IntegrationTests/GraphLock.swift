import Bolt
import Foundation

/// A competing application transaction on ArcadeDB that holds the lock on one type for `hold`, lets go briefly, and
/// again, in another process (`scripts/lib/graph-lock.py`, over ArcadeDB's HTTP API) until stopped. Every write to
/// that type waits for the lock while reads and other types go on, so a probe that writes such a node takes about
/// `hold`: a load whose effect on the latency the throttle sees is set by the test, not by how busy the machine is.
final class GraphLock: Sendable {
    let typeName: String
    let hold: Duration
    private let process: Process
    private let output: URL

    /// Starts holding and returns once the first lock is held.
    init(on server: BoltTestServer, type typeName: String, hold: Duration) async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["SLUICE_TEST_PYTHON"], let http = environment["SLUICE_TEST_ARCADEDB_HTTP_URL"]
        else {
            throw TestFailure(
                "SLUICE_TEST_PYTHON or SLUICE_TEST_ARCADEDB_HTTP_URL is not set: run through scripts/test"
            )
        }
        let (user, password) = server.credentials
        self.typeName = typeName
        self.hold = hold
        output = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-graph-lock-\(UUID()).log")
        guard FileManager.default.createFile(atPath: output.path, contents: nil) else {
            throw TestFailure("cannot create \(output.path)")
        }
        let log = try FileHandle(forWritingTo: output)
        process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [
            JobStoreTestDatabase.repositoryRoot.appendingPathComponent("scripts/lib/graph-lock.py").path,
            http, server.database ?? "", typeName, "\(Int(hold / .milliseconds(1)))", "20", user,
        ]
        // The password through the environment: a command line is visible to every user.
        process.environment = environment.merging(["SLUICE_LOCK_PASSWORD": password]) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        try log.close()
        let deadline = ContinuousClock.now + .seconds(60)
        while !text.contains("lock: held") {
            guard process.isRunning, ContinuousClock.now < deadline else {
                stopProcess()
                throw TestFailure("graph-lock.py did not hold the lock on \(typeName): \(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// What the process printed (its progress and any error).
    var text: String {
        (try? String(contentsOf: output, encoding: .utf8)) ?? ""
    }

    /// Stops holding (the transaction is rolled back) and returns once the process has ended, with what it printed.
    @discardableResult
    func stop() async throws -> String {
        stopProcess()
        let deadline = ContinuousClock.now + .seconds(60)
        while process.isRunning {
            guard ContinuousClock.now < deadline else {
                process.interrupt()
                throw TestFailure("graph-lock.py did not stop within 60 s: \(text)")
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        let printed = text
        try? FileManager.default.removeItem(at: output)
        return printed
    }

    private func stopProcess() {
        if process.isRunning {
            process.terminate()
        }
    }
}
