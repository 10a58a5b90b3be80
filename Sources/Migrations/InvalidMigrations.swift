/// Every problem found in a migration file or a migrations folder, so that one `sluice check` run shows
/// them all instead of one per run.
public struct InvalidMigrations: Error, Sendable, CustomStringConvertible {
    /// Ordered by file, then line.
    public let errors: [MigrationError]

    public init(_ errors: [MigrationError]) {
        self.errors = errors.sorted { ($0.path, $0.line ?? 0) < ($1.path, $1.line ?? 0) }
    }

    /// One line per error.
    public var description: String {
        errors.map(\.description).joined(separator: "\n")
    }
}
