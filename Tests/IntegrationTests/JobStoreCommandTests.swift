import Foundation
import JobStore
import Testing

/// `sluice db migrate` and `sluice db status`, run as the built executable against a fresh schema.
extension JobStoreIntegrationTests {
    /// The `sluice` executable next to the test bundle (`swift build` puts both in one folder).
    static func sluiceExecutable() -> String? {
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for candidate in [bundle, bundle.deletingLastPathComponent()] {
            let path = candidate.appendingPathComponent("sluice").path
            if FileManager.default.isExecutableFile(atPath: path) { return path }
        }
        return nil
    }

    @Test func dbMigrateAndStatusWorkAgainstAFreshSchema() async throws {
        try JobStoreTestDatabase.requireConfigured()
        guard let sluice = Self.sluiceExecutable() else {
            print("sluice db test skipped: no sluice executable next to the test bundle (run swift build first)")
            return
        }
        let schema = JobStoreTestDatabase.uniqueSchema()
        defer { Task { await JobStoreTestDatabase.dropSchema(schema) } }
        func run(_ arguments: String...) async throws -> (Int32, String, String) {
            let child = try JobStoreTestDatabase.Child(sluice, arguments)
            let status = await child.wait()
            return (status, child.standardOutput, child.standardError)
        }

        var (status, output, errors) = try await run("db", "status", "--schema", schema)
        #expect(status == 0, "\(errors)")
        #expect(output.contains("schema \(schema): not created"))

        (status, output, errors) = try await run("db", "migrate", "--schema", schema)
        #expect(status == 0, "\(errors)")
        #expect(output == "schema \(schema): created at version \(JobStoreSchema.latestVersion)\n")
        (status, output, _) = try await run("db", "migrate", "--schema", schema, "--json")
        #expect(
            output
                == "{\"from\":\(JobStoreSchema.latestVersion),\"schema\":\"\(schema)\",\"version\":\(JobStoreSchema.latestVersion)}\n"
        )

        let store = try JobStore(JobStoreTestDatabase.configuration(schema: schema))
        _ = try await store.enqueue(JobStoreTestDatabase.request(target: "cli"))
        await store.close()

        (status, output, errors) = try await run("db", "status", "--schema", schema, "--json")
        #expect(status == 0, "\(errors)")
        struct Status: Decodable {
            var schema: String
            var version: Int?
            var upToDate: Bool
            var jobs: [String: Int]?
        }
        let decoded = try JSONDecoder().decode(Status.self, from: Data(output.utf8))
        #expect(decoded.schema == schema && decoded.version == JobStoreSchema.latestVersion && decoded.upToDate)
        #expect(decoded.jobs?["queued"] == 1 && decoded.jobs?["running"] == 0)

        // Errors: one line, non-zero exit, no password.
        (status, output, errors) = try await run(
            "db",
            "status",
            "--postgres",
            "host=/nonexistent port=1 password=NeverShowMe123"
        )
        #expect(status != 0)
        #expect(errors.split(separator: "\n").count == 1 && !errors.contains("NeverShowMe123"), "\(errors)")
        (status, _, errors) = try await run("db", "migrate", "--schema", "Not-Valid")
        #expect(status != 0 && errors.contains("invalid schema name"))
    }
}
