import Foundation
import Testing

/// `scripts/bench --nodes 20000 --server both` as a smoke check of the benchmark script (issue 9): on each server every
/// variant runs and says how many items it changed, and the Markdown table, the JSON and the plots are written.
/// Timing targets are the benchmark's to check, not this test's.
///
/// FalkorDB is a private one (``PrivateGraphServer``): every variant deletes all Project, SluiceJob and Migration nodes of its
/// graph, which the suites running meanwhile use on the shared server. ArcadeDB is the shared one: there the bench
/// loads into a database of its own (`sluice_bench`), backs it up and restores it before each variant, and drops it
/// at the end, never touching the tests' database. The bench's Postgres schemas are its own (`bench_<random>`,
/// dropped after each variant), so it shares the tests' cluster. It runs the build these tests run (`--bin`, the
/// folder holding the test bundle): no release build.
@Suite(.enabled(if: JobStoreTestDatabase.shouldRun()))
struct BenchSmokeTests {
    static let nodes = 20_000
    static let servers = ["arcadedb", "falkordb"]

    @Test func benchAt20000NodesRunsEveryVariantOnBothServersAndWritesItsReports() async throws {
        try JobStoreTestDatabase.requireConfigured()
        let sluice = try #require(JobStoreIntegrationTests.sluiceExecutable(), "no sluice next to the test bundle")
        let bin = URL(fileURLWithPath: sluice).deletingLastPathComponent()
        #expect(
            FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("EngineBench").path),
            "no EngineBench beside \(sluice): build all products (swift build --build-tests)"
        )
        let environment = ProcessInfo.processInfo.environment
        for variable in ["SLUICE_TEST_ARCADEDB_URL", "SLUICE_TEST_ARCADEDB_HTTP_URL"] where environment[variable] == nil
        {
            Issue.record("\(variable) is not set: run through scripts/test")
            return
        }
        guard let graph = try await PrivateGraphServer.start(.falkordb) else { return }
        print("RAN benchAt20000Nodes on the shared arcadedb and \(graph.server)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-smoke-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let (user, password) = graph.server.credentials
        let started = ContinuousClock.now
        let bench = try JobStoreTestDatabase.Child(
            JobStoreTestDatabase.repositoryRoot.appendingPathComponent("scripts/bench").path,
            [
                "--nodes", "\(Self.nodes)", "--server", "both", "--external-services", "--bin", bin.path,
                "--rounds", "2", "--out", out.path,
            ],
            environment: environment.merging([
                "SLUICE_TEST_FALKORDB_URL": "\(graph.server.url)", "SLUICE_TEST_FALKORDB_USER": user,
                "SLUICE_TEST_FALKORDB_PASSWORD": password,
            ]) { $1 }
        )
        let status = await Self.wait(for: bench, timeout: .seconds(900))
        let took = ContinuousClock.now - started
        await graph.stop()
        print(
            "scripts/bench --nodes \(Self.nodes) --server both took \(took) (status \(status.map { "\($0)" } ?? "none"))"
        )
        #expect(
            status == 0,
            "scripts/bench: \(status.map { "exit \($0)" } ?? "still running after 900 s, killed"):\n\(bench.standardError.suffix(3_000))"
        )
        guard status == 0 else { return }

        let data = try Data(contentsOf: out.appendingPathComponent("results.json"))
        let results = try JSONDecoder().decode(Results.self, from: data)
        let run = try #require(results.runs.first, "results.json holds no run")
        #expect(run.nodes == Self.nodes)
        let table = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        for server in Self.servers {
            let variants = try #require(run.servers[server]?.variants, "results.json has no \(server) entry")
            // Two rounds: the guide's loop once, the second round's order shifted by one.
            let (guide, bare, foreground, daemon, call) = (
                "guide loop (Python driver)", "bare loop (sluice's batch statements)", "sluice run 007",
                "daemon (enqueue + daemon)", "CALL { ... } IN TRANSACTIONS OF 10000 ROWS"
            )
            #expect(
                variants.map(\.variant) == [guide, bare, foreground, daemon, call, foreground, daemon, call, bare],
                "\(server)"
            )
            for variant in variants {
                if variant.variant.hasPrefix("CALL") {
                    if server == "falkordb" {
                        // FalkorDB answers the probe with an error: the table says so instead of a number.
                        #expect(variant.skipped?.contains("not supported") == true, "\(server): \(variant)")
                    } else {
                        #expect(variant.skipped == nil && (variant.wallS ?? 0) > 0, "\(server): \(variant)")
                    }
                    continue
                }
                #expect(variant.skipped == nil, "\(server): \(variant)")
                #expect(
                    variant.items == Self.nodes,
                    "\(server): \(variant.variant) changed \(variant.items.map { "\($0)" } ?? "?")"
                )
                #expect(
                    (variant.wallS ?? 0) > 0 && (variant.batches ?? 0) >= Self.nodes / 10_000,
                    "\(server): \(variant)"
                )
                if !variant.variant.hasPrefix("guide") {  // sluice's processes, measured by the bench
                    #expect((variant.peakRssMb ?? 0) > 1 && variant.cpuS != nil, "\(server): \(variant)")
                }
            }
            #expect(table.contains("## \(server), 20,000 Project nodes"), "\(table)")
            let plot = try Data(contentsOf: out.appendingPathComponent("batches-\(server)-\(Self.nodes).png"))
            #expect(plot.starts(with: [0x89, 0x50, 0x4E, 0x47]), "batches-\(server)-\(Self.nodes).png is no PNG")
        }
        #expect(table.contains("| sluice run 007 | 20,000 |"), "\(table)")
    }

    /// The child's exit status, or nil after SIGKILLing it when it outlived `timeout`.
    private static func wait(for child: JobStoreTestDatabase.Child, timeout: Duration) async -> Int32? {
        await withTaskGroup(of: Int32?.self) { group in
            group.addTask { await child.wait() }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            if first == nil { child.kill(SIGKILL) }
            group.cancelAll()
            _ = await group.next()
            return first
        }
    }

    /// The part of results.json checked here.
    struct Results: Decodable {
        struct Run: Decodable {
            var nodes: Int
            var servers: [String: Server]
        }
        struct Server: Decodable {
            var variants: [Variant]
        }
        struct Variant: Decodable, CustomStringConvertible {
            var variant: String
            var skipped: String?
            var items: Int?
            var wallS: Double?
            var batches: Int?
            var peakRssMb: Double?
            var cpuS: Double?

            enum CodingKeys: String, CodingKey {
                case variant, skipped, items, batches
                case wallS = "wall_s"
                case peakRssMb = "peak_rss_mb"
                case cpuS = "cpu_s"
            }

            var description: String {
                "\(variant): items \(items.map { "\($0)" } ?? "-"), wall \(wallS ?? 0) s, batches \(batches ?? 0), "
                    + "RSS \(peakRssMb ?? 0) MB, CPU \(cpuS ?? 0) s\(skipped.map { ", skipped: \($0)" } ?? "")"
            }
        }
        var runs: [Run]
    }
}
