import Foundation

/// A competing application load in another process (`scripts/lib/graph-load.py`, the Python driver): `threads`
/// connections each running a full scan with aggregations over every `label` node, then waiting `think`, until
/// stopped. `scripts/bench-throttle` runs the same load.
final class GraphLoad: Sendable {
    private let child: JobStoreTestDatabase.Child

    /// Starts the load and returns once its connections are open.
    init(on server: BoltTestServer, label: String, threads: Int, think: Duration) async throws {
        guard let python = ProcessInfo.processInfo.environment["SLUICE_TEST_PYTHON"] else {
            throw TestFailure("SLUICE_TEST_PYTHON is not set: run through scripts/test")
        }
        let (user, password) = server.credentials
        // The password through the environment: a command line is visible to every user.
        child = try JobStoreTestDatabase.Child(
            python,
            [
                JobStoreTestDatabase.repositoryRoot.appendingPathComponent("scripts/lib/graph-load.py").path,
                "\(server.url)", user, server.database ?? "", label, "\(threads)", "\(Int(think / .milliseconds(1)))",
            ],
            environment: ProcessInfo.processInfo.environment.merging([
                "SLUICE_LOAD_PASSWORD": password, "SLUICE_LOAD_EACH": "1",
            ]) { $1 }
        )
        let started = try await eventually(timeout: .seconds(60)) {
            !child.process.isRunning || child.standardOutput.contains("load: started")
        }
        guard started, child.process.isRunning else {
            child.kill(SIGKILL)
            throw TestFailure("graph-load.py did not start: \(child.standardOutput) \(child.standardError)")
        }
    }

    /// How many queries have ended so far (one line each).
    var queries: Int {
        child.standardOutput.split(separator: "\n").count { $0.hasPrefix("load: query ") }
    }

    /// Stops the load and returns, once the process has ended, what it printed (how many queries it ran).
    @discardableResult
    func stop() async throws -> String {
        child.kill(SIGTERM)
        let ended = try await eventually(timeout: .seconds(60)) { !child.process.isRunning }
        guard ended else {
            child.kill(SIGKILL)
            throw TestFailure("graph-load.py did not stop within 60 s: \(child.standardError)")
        }
        return child.standardOutput.split(separator: "\n").last.map(String.init) ?? ""
    }
}
