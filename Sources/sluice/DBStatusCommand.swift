import ArgumentParser
import Foundation
import JobStore

/// `sluice db status`: which database, whether the connection is encrypted (TLS version), which schema version, how
/// many jobs in each state.
struct DBStatusCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the job store's schema version and its jobs by state."
    )

    @OptionGroup var db: DBOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let store = try await db.openStore()
        let server: (database: String, user: String, version: String, tls: String?)
        let version: Int?
        var counts: [JobState: Int]? = nil
        do {
            let row = try await store.connection.query(
                """
                SELECT current_database() AS db, current_user AS usr, current_setting('server_version') AS version,
                       (SELECT version FROM pg_stat_ssl WHERE pid = pg_backend_pid() AND ssl) AS tls
                """
            )[0]
            server = (
                try row.decode("db"), try row.decode("usr"), try row.decode("version"), try row.decode("tls")
            )
            version = try await store.schemaVersion()
            if version != nil { counts = try await store.countsByState() }
            await store.close()
        } catch {
            throw CommandError("\(error)")
        }
        let latest = JobStoreSchema.latestVersion
        var output = StandardOutput()
        if json {
            var object: [String: Any] = [
                "schema": store.schema.name,
                "version": version.map { $0 as Any } ?? NSNull(),
                "latestVersion": latest,
                "upToDate": version == latest,
                "database": server.database,
                "user": server.user,
                "serverVersion": server.version,
                "tls": server.tls.map { $0 as Any } ?? NSNull(),
            ]
            if let counts {
                object["jobs"] = Dictionary(uniqueKeysWithValues: counts.map { ($0.key.rawValue, $0.value) })
            } else {
                object["jobs"] = NSNull()
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            output.write(String(decoding: data, as: UTF8.self) + "\n")
            return
        }
        output.write(
            "postgres: database \(server.database) as \(server.user) (PostgreSQL \(server.version)), "
                + (server.tls.map { "encrypted with \($0)" } ?? "not encrypted") + "\n"
        )
        switch version {
        case nil:
            output.write("schema \(store.schema.name): not created (run `sluice db migrate`)\n")
        case let v? where v == latest:
            output.write("schema \(store.schema.name): version \(v), up to date\n")
        case let v? where v < latest:
            output.write("schema \(store.schema.name): version \(v), \(latest) available (run `sluice db migrate`)\n")
        case let v?:
            output.write("schema \(store.schema.name): version \(v), newer than this sluice (\(latest))\n")
        }
        if let counts {
            let line = JobState.allCases.map { "\($0.rawValue) \(counts[$0] ?? 0)" }.joined(separator: ", ")
            output.write("jobs: \(line)\n")
        }
    }
}
