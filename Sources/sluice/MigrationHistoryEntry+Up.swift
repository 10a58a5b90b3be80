import JobStore
import Migrations

extension MigrationHistoryEntry {
    /// An entry no job wrote, about `migration`'s up on `target`: a graph's history adopted by `sluice baseline`, or a
    /// `sluice finalize`.
    init(
        up migration: MigrationFile,
        on target: JobTarget,
        by appliedBy: String,
        duration: Duration,
        items: Int64,
        status: Status
    ) {
        self.init(
            migrationVersion: migration.version.description,
            migrationName: migration.name,
            checksum: migration.checksum,
            direction: .up,
            target: target,
            appliedBy: appliedBy,
            duration: duration,
            items: items,
            status: status
        )
    }
}
