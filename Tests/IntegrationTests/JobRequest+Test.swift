import JobStore
import Migrations

extension JobRequest {
    /// The request a test enqueues to run `migration` up on `server`'s graph (in `database`, else the server's).
    static func test(
        _ migration: MigrationFile,
        on server: BoltTestServer,
        database: String? = nil,
        batchSize: Int
    ) -> JobRequest {
        JobRequest(
            migrationVersion: "\(migration.version)",
            migrationName: migration.name,
            migrationChecksum: migration.checksum,
            target: JobTarget(url: "\(server.url)", database: database ?? server.database ?? ""),
            batchSize: batchSize,
            enqueuedBy: "test"
        )
    }
}
