import ArgumentParser
import Daemon
import Foundation
import JobStore
import Migrations

/// `sluice history`: what ran, when, by whom, how long, how many items, how many quarantined.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history",
        abstract: "Show what ran, when, by whom, for how long, on how many items, with how many quarantined.",
        discussion: """
            One entry per migration a job finished (applied, undone, or stopped part-way after changing items) and \
            per `sluice finalize` (finalized), newest first, from the job store's history: what decides whether a \
            migration is applied. BY is who queued the job (the \
            worker that ran it is in --json as appliedBy). Reads Postgres only.

            Examples:
              sluice history
              sluice history --migration 007 --url bolt://graph.example:7687
              sluice history --json | jq '.history[0]'
            """
    )

    @OptionGroup var db: DBOptions

    @Option(help: "Only this migration's entries (007 or 7).")
    var migration: String?

    @Option(help: "Only this graph's entries: its Bolt URL as jobs show it (not read from SLUICE_BOLT_URL).")
    var url: String?

    @Option(help: "With --url: the database (default: the server's default).")
    var database: String?

    // Unconditional: `--limit -1` reaches the range check instead of failing as a missing value.
    @Option(parsing: .unconditional, help: "At most this many entries.")
    var limit = 50

    @Flag(help: "Print one JSON document: {\"history\": [...]}.")
    var json = false

    /// One entry as `--json` prints it; the names are an interface, as in ``JobDocument``.
    struct Entry: Encodable {
        @Nullable var id: Int64?
        var version: String
        var name: String
        var direction: String
        var status: String
        var target: JobDocument.Target
        @Nullable var job: Int64?
        @Nullable var appliedAt: Date?
        /// Who queued the job.
        @Nullable var requestedBy: String?
        /// The worker that ran it.
        var appliedBy: String
        var durationSeconds: Double
        var items: Int64
        var quarantined: Int64
        var checksum: String
    }

    func run() async throws {
        let version = try migration.map { text in
            guard let version = MigrationVersion(text) else {
                throw CommandError("invalid --migration '\(text)': expected a migration number such as 007")
            }
            return version
        }
        if database != nil && url == nil { throw CommandError("--database needs --url: the graph's Bolt URL") }
        guard limit >= 1 else { throw CommandError("--limit must be at least 1, got \(limit)") }
        let target = try url.map { try GraphTargetOptions.jobTarget(url: $0, database: database) }
        let entries = try await db.withClientStore { store in
            // The filter by version is applied here: read enough to fill the limit with that version's entries.
            try await store.history(target: target, limit: version == nil ? limit : 100_000)
        }.filter { entry in version.map { MigrationVersion(entry.migrationVersion) == $0 } ?? true }.prefix(limit)
        if json {
            try JSONOutput.write(["history": entries.map(Self.entry)])
            return
        }
        var output = StandardOutput()
        guard !entries.isEmpty else {
            let what =
                version.map { "no history of \($0): no job of it has finished" }
                ?? "no history yet: nothing has finished"
            output.write("\(what)\(target.map { " on \($0)" } ?? "")\n")
            return
        }
        let header = ["FINISHED", "MIGRATION", "STATUS", "GRAPH", "JOB", "BY", "TOOK", "ITEMS", "QUARANTINED"]
        let rows = entries.map { entry in
            [
                entry.appliedAt.map(JobView.instant) ?? "-",
                "\(entry.migrationVersion) \(entry.migrationName) \(entry.direction.rawValue)",
                entry.status.rawValue.replacingOccurrences(of: "_", with: " "),
                entry.target.description,
                entry.job.map { "\($0)" } ?? "-",
                entry.requestedBy ?? entry.appliedBy,
                ProgressText.duration(seconds: entry.duration.seconds),
                ProgressText.count(entry.items),
                ProgressText.count(entry.quarantined),
            ]
        }
        output.write(TextTable.render(header: header, rows: rows))
    }

    private static func entry(_ entry: MigrationHistoryEntry) -> Entry {
        Entry(
            id: entry.id,
            version: entry.migrationVersion,
            name: entry.migrationName,
            direction: entry.direction.rawValue,
            status: entry.status.rawValue,
            target: JobDocument.Target(url: entry.target.url, database: entry.target.database),
            job: entry.job?.rawValue,
            appliedAt: entry.appliedAt,
            requestedBy: entry.requestedBy,
            appliedBy: entry.appliedBy,
            durationSeconds: (entry.duration.seconds * 1000).rounded() / 1000,
            items: entry.items,
            quarantined: entry.quarantined,
            checksum: entry.checksum
        )
    }
}
