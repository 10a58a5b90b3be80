/// One migration, as read from `migrations/NNN_snake_name.cypher`.
///
/// The parser (``MigrationParser``) guarantees what the engine relies on: a description, an `up` and a
/// `down` that each have steps and a verify query, data steps taken apart into pattern, predicate and
/// change, every `$parameter` declared, and bookkeeping properties that belong to this migration.
public struct MigrationFile: Sendable, Hashable {
    public let version: MigrationVersion
    /// The snake-case name from the file name: `normalize_project_names`.
    public let name: String
    /// The path the file was read from.
    public let path: String
    /// SHA-256 of the file's exact bytes, 64 lower-case hex digits (what `sha256sum` prints): a file
    /// changed after it was applied, even in a comment or a line ending, has another checksum.
    public let checksum: String
    public let description: String
    public let up: MigrationDirection
    public let down: MigrationDirection
    /// Removes the bookkeeping `up` kept for `down`; nil when there is none to remove.
    public let finalize: MigrationDirection?
    public let options: MigrationOptions
    public let parameters: [MigrationParameter]
    /// Cypher features the migration needs beyond the common core, as the file names them (`duration.inDays`, `IS ::`),
    /// then those its Cypher uses that it does not name: a server known to lack one is refused before any write.
    public let requires: [String]
    public let indexes: [IndexRequirement]

    public init(
        version: MigrationVersion,
        name: String,
        path: String,
        checksum: String,
        description: String,
        up: MigrationDirection,
        down: MigrationDirection,
        finalize: MigrationDirection?,
        options: MigrationOptions,
        parameters: [MigrationParameter],
        requires: [String],
        indexes: [IndexRequirement]
    ) {
        self.version = version
        self.name = name
        self.path = path
        self.checksum = checksum
        self.description = description
        self.up = up
        self.down = down
        self.finalize = finalize
        self.options = options
        self.parameters = parameters
        self.requires = requires
        self.indexes = indexes
    }

    public func direction(_ kind: MigrationDirection.Kind) -> MigrationDirection? {
        switch kind {
        case .up: up
        case .down: down
        case .finalize: finalize
        }
    }

    /// The start of every property a migration keeps on items for its `down` (`_sluice_m004`,
    /// `_sluice_m004_deadline`): one namespace per migration, so that a later migration touching the same
    /// node cannot overwrite it (the guide's shared `migrationVersion` could), and `finalize` knows what
    /// to strip.
    public static func bookkeepingPrefix(for version: MigrationVersion) -> String {
        bookkeepingNamespace + version.description
    }

    /// What every migration's bookkeeping properties start with, before the version.
    static let bookkeepingNamespace = "_sluice_m"
}
