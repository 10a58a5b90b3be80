import Foundation
import Testing

/// `scripts/bench --nodes 20000` as a smoke check of the benchmark script (issue 9): every variant runs and says
/// how many items it changed, and the Markdown table, the JSON and the plot are written. Timing targets are the
/// benchmark's to check, not this test's.
///
/// The bench runs on a private FalkorDB (``PrivateGraphServer``): every variant deletes all Project and SluiceJob
/// nodes of its graph, which the suites running meanwhile use on the shared servers. FalkorDB only: at 20,000 nodes
/// it takes seconds, where ArcadeDB's five reloads and the guide's rescans took over two minutes on a loaded
/// 2-core machine. The bench's Postgres schemas are its own (`bench_<random>`, dropped after each variant), so it
/// shares the tests' cluster. It runs the build these tests run (`--bin`, the folder holding the test bundle): no
/// release build.
@Suite(.enabled(if: JobStoreTestDatabase.shouldRun()))
struct BenchSmokeTests {
    static let nodes = 20_000

    @Test func benchAt20000NodesRunsEveryVariantAndWritesItsReports() async throws {
        try JobStoreTestDatabase.requireConfigured()
        let sluice = try #require(JobStoreIntegrationTests.sluiceExecutable(), "no sluice next to the test bundle")
        let bin = URL(fileURLWithPath: sluice).deletingLastPathComponent()
        #expect(
            FileManager.default.isExecutableFile(atPath: bin.appendingPathComponent("EngineBench").path),
            "no EngineBench beside \(sluice): build all products (swift build --build-tests)"
        )
        guard let graph = try await PrivateGraphServer.start(.falkordb) else { return }
        print("RAN benchAt20000Nodes on \(graph.server)")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("sluice-bench-smoke-\(UUID())")
        defer { try? FileManager.default.removeItem(at: out) }
        let (user, password) = graph.server.credentials
        let environment = ProcessInfo.processInfo.environment.merging([
            "SLUICE_TEST_FALKORDB_URL": "\(graph.server.url)", "SLUICE_TEST_FALKORDB_USER": user,
            "SLUICE_TEST_FALKORDB_PASSWORD": password,
        ]) { $1 }
        let started = ContinuousClock.now
        let bench = try JobStoreTestDatabase.Child(
            JobStoreTestDatabase.repositoryRoot.appendingPathComponent("scripts/bench").path,
            [
                "--nodes", "\(Self.nodes)", "--server", "falkordb", "--external-services", "--bin", bin.path,
                "--out", out.path,
            ],
            environment: environment
        )
        let status = await Self.wait(for: bench, timeout: .seconds(600))
        let took = ContinuousClock.now - started
        await graph.stop()
        print(
            "scripts/bench --nodes \(Self.nodes) --server falkordb took \(took) (status \(status.map { "\($0)" } ?? "none"))"
        )
        #expect(
            status == 0,
            "scripts/bench: \(status.map { "exit \($0)" } ?? "still running after 600 s, killed"):\n\(bench.standardError.suffix(3_000))"
        )
        guard status == 0 else { return }

        let data = try Data(contentsOf: out.appendingPathComponent("results.json"))
        let results = try JSONDecoder().decode(Results.self, from: data)
        let run = try #require(results.runs.first, "results.json holds no run")
        #expect(run.nodes == Self.nodes)
        let variants = try #require(run.servers["falkordb"]?.variants, "results.json has no falkordb entry")
        #expect(
            variants.map(\.variant) == [
                "guide loop (Python driver)", "bare loop (sluice's batch statements)", "sluice run 007",
                "daemon (enqueue + daemon)", "CALL { ... } IN TRANSACTIONS OF 10000 ROWS",
            ]
        )
        for variant in variants {
            if variant.variant.hasPrefix("CALL") {
                // FalkorDB answers the probe with an error: the table says so instead of a number.
                #expect(variant.skipped?.contains("not supported") == true, "\(variant)")
                continue
            }
            #expect(variant.skipped == nil, "\(variant)")
            #expect(variant.items == Self.nodes, "\(variant.variant) changed \(variant.items.map { "\($0)" } ?? "?")")
            #expect((variant.wallS ?? 0) > 0 && (variant.batches ?? 0) >= Self.nodes / 10_000, "\(variant)")
            if !variant.variant.hasPrefix("guide") {  // sluice's processes, measured by the bench
                #expect((variant.peakRssMb ?? 0) > 1 && variant.cpuS != nil, "\(variant)")
            }
        }
        let table = try String(contentsOf: out.appendingPathComponent("results.md"), encoding: .utf8)
        #expect(table.contains("## falkordb, 20,000 Project nodes"), "\(table)")
        #expect(table.contains("| sluice run 007 | 20,000 |"), "\(table)")
        let plot = try Data(contentsOf: out.appendingPathComponent("batches-falkordb-\(Self.nodes).png"))
        #expect(plot.starts(with: [0x89, 0x50, 0x4E, 0x47]), "batches-falkordb-\(Self.nodes).png is no PNG")
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
