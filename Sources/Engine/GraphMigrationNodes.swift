import Bolt
import Foundation
import JobStore
import Migrations

/// The migration history as the guide keeps it in the graph, mirrored from the job store's:
/// `(:Migration {version, name, checksum, appliedAt, appliedBy, status})` per version, and
/// `(:Metadata {key: "schema_version", value})` holding the highest applied version.
///
/// Postgres stays the authority on what is applied (`sluice list`, `sluice run`); the graph's copy is
/// for the tools and people that read the guide's nodes, and what `sluice baseline` adopts from.
public enum GraphMigrationNodes {
    /// What a version's node says. Times travel as ISO 8601 text: FalkorDB has no datetime().
    private static let fields = """
        m.name = $name, m.checksum = $checksum, m.appliedAt = $appliedAt, m.appliedBy = $appliedBy,
            m.status = $status, m.direction = $direction, m.items = $items
        """

    /// Finds a version's node as either side writes it, sluice's `"007"` or the guide's `7` (adopted by
    /// `sluice baseline`, which keeps the guide's nodes as they are); with ``parameters(of:)``. Parenthesized, so a
    /// condition may follow with `AND`.
    public static let matchVersion = "MATCH (m:Migration) WHERE (m.version = $version OR m.version = $number)"

    /// `$version` and `$number` for ``matchVersion``.
    public static func parameters(of version: MigrationVersion) -> [String: BoltValue] {
        ["version": .string(version.description), "number": .integer(Int64(version.number))]
    }

    /// Updates the version's node: a `MERGE` on `"007"` alone would add a second node beside the guide's `7`.
    static let update = """
        \(matchVersion)
        SET \(fields)
        RETURN count(m) AS updated
        """

    /// Creates the version's node where ``update`` found none.
    static let create = """
        CREATE (m:Migration {version: $version})
        SET \(fields)
        """

    /// A version's node when it says applied: its checksum and who applied it when, for pre-flight
    /// (``PreflightCheck/history``).
    static let appliedNode = """
        \(matchVersion) AND m.status = 'applied'
        RETURN m.checksum AS checksum, toString(m.appliedBy) AS appliedBy, toString(m.appliedAt) AS appliedAt
        """

    /// The versions the graph says are applied, as written (the guide's may be integers).
    static let applied = "MATCH (m:Migration) WHERE m.status = 'applied' RETURN m.version AS version"

    static let schemaVersion = """
        MERGE (meta:Metadata {key: 'schema_version'})
        SET meta.value = $value, meta.updatedAt = $updatedAt
        """

    /// Every `(:Migration)` node, for `sluice baseline` and `sluice list`.
    public static let all = """
        MATCH (m:Migration)
        RETURN m.version AS version, m.name AS name, m.checksum AS checksum, m.status AS status,
            toString(m.appliedAt) AS appliedAt, m.appliedBy AS appliedBy
        """

    /// Mirrors one history entry, then recomputes `schema_version` from the applied nodes.
    public static func mirror(
        _ entry: MigrationHistoryEntry,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) {
        // swift-foundation's ISO 8601 style, not ISO8601DateFormatter: that one loads ICU's calendar, number and
        // collation data (about 2 MB resident for the rest of a daemon's life) to print one date.
        let now = (entry.appliedAt ?? Date()).formatted(.iso8601)
        var parameters: [String: BoltValue] = [
            "version": .string(entry.migrationVersion), "number": .null,
            "name": .string(entry.migrationName), "checksum": .string(entry.checksum), "appliedAt": .string(now),
            "appliedBy": .string(entry.appliedBy), "status": .string(entry.status.rawValue),
            "direction": .string(entry.direction.rawValue), "items": .integer(entry.items),
        ]
        if let version = MigrationVersion(entry.migrationVersion) {
            parameters.merge(Self.parameters(of: version)) { _, matched in matched }
        }
        let updated = try await connection.run(update, parameters: parameters, options: options).collect()
        if updated.first?["updated"]?.intValue ?? 0 == 0 {
            try await connection.run(create, parameters: parameters, options: options).consume()
        }
        let versions = try await connection.run(applied, options: options).collect().compactMap { record in
            record["version"].flatMap { value in
                MigrationVersion(graphValue: value)
            }
        }
        try await connection.run(
            schemaVersion,
            parameters: [
                "value": versions.max().map { BoltValue.string($0.description) } ?? BoltValue.null,
                "updatedAt": .string(now),
            ],
            options: options
        ).consume()
    }
}

extension MigrationVersion {
    /// A `(:Migration)` node's version: the guide's integer, or sluice's `"007"`.
    public init?(graphValue: BoltValue) {
        if let number = graphValue.intValue, number > 0 {
            self.init(Int(number))
        } else if let text = graphValue.stringValue {
            self.init(text)
        } else {
            return nil
        }
    }
}
