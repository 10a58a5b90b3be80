/// Where one migration stands, comparing the files with the applied history.
public struct MigrationStatus: Sendable, Hashable {
    public enum State: String, Sendable, Hashable, CaseIterable {
        /// A file that was never applied (or whose `down` ran to the end).
        case pending
        /// A job of it is planning, running or paused.
        case running
        /// A job of it stopped mid-way (cancelled, failed) after changing items: its `down` undoes
        /// exactly what was done, or running it again finishes it.
        case partiallyApplied = "partially applied"
        /// Applied, and the file still has the checksum it had then.
        case applied
        /// Applied, but the file has changed since: the graph holds what the old file did, and the new
        /// one's `down` may not undo it. The guide's rule: never edit an applied migration.
        case changedAfterApply = "changed after apply"
        /// In the history, but no file has its version: deleted, renamed or renumbered, or this is
        /// another project's graph.
        case missingFile = "applied, file missing"
    }

    public let version: MigrationVersion
    public let state: State
    /// Nil for ``State/missingFile``.
    public let file: MigrationFile?
    /// Nil for ``State/pending``.
    public let applied: AppliedMigration?

    public init(version: MigrationVersion, state: State, file: MigrationFile?, applied: AppliedMigration?) {
        self.version = version
        self.state = state
        self.file = file
        self.applied = applied
    }

    /// Every version in the files or the history, in version order, with its state.
    ///
    /// `applied` holds one record per version that is applied now (a migration whose `down` ran is not
    /// applied); when a version appears twice the last record counts. `running` (an unfinished job)
    /// wins over the history; `partiallyApplied` counts for versions that are not applied.
    public static func classify(
        files: [MigrationFile],
        applied: [AppliedMigration],
        running: Set<MigrationVersion> = [],
        partiallyApplied: Set<MigrationVersion> = []
    ) -> [MigrationStatus] {
        var appliedByVersion: [MigrationVersion: AppliedMigration] = [:]
        for record in applied {
            appliedByVersion[record.version] = record
        }
        let filesByVersion = Dictionary(files.map { ($0.version, $0) }, uniquingKeysWith: { first, _ in first })
        let versions = Set(filesByVersion.keys).union(appliedByVersion.keys).union(running).sorted()
        return versions.map { version in
            let file = filesByVersion[version]
            let record = appliedByVersion[version]
            let state: State
            switch (file, record) {
            case _ where running.contains(version): state = .running
            case (_, nil): state = partiallyApplied.contains(version) ? .partiallyApplied : .pending
            case (nil, _): state = .missingFile
            case (let file?, let record?): state = file.checksum == record.checksum ? .applied : .changedAfterApply
            }
            return MigrationStatus(version: version, state: state, file: file, applied: record)
        }
    }
}
