/// What the history says was applied: a version and the checksum its file had then.
///
/// The job store keeps the history; this is the part of it that decides what is pending.
public struct AppliedMigration: Sendable, Hashable {
    public let version: MigrationVersion
    public let checksum: String
    /// The name it was applied under, for an operator looking for a file that is gone.
    public let name: String

    public init(version: MigrationVersion, checksum: String, name: String) {
        self.version = version
        self.checksum = checksum
        self.name = name
    }
}
