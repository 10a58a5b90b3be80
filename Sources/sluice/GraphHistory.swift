import JobStore
import Migrations

/// What the job store's history says about the migrations of one graph: for each version, its newest entry
/// decides whether it is applied now (an up that completed, not undone since).
///
/// `sluice run`, `sluice enqueue` and `--all` decide with this what there is to do, so they agree on it.
struct GraphHistory {
    /// Newest first.
    let entries: [MigrationHistoryEntry]

    static func load(_ store: JobStore, target: JobTarget) async throws -> GraphHistory {
        GraphHistory(entries: try await store.history(target: target, limit: 100_000))
    }

    /// The newest entry of `version` that moved it (``MigrationHistoryEntry/movedTheMigration``): a job refused or
    /// failed before it changed an item (pre-flight, a finalized migration's down) leaves the migration where it was,
    /// and a finalize leaves it applied.
    func latest(_ version: MigrationVersion) -> MigrationHistoryEntry? {
        entries.first { MigrationVersion($0.migrationVersion) == version && $0.movedTheMigration }
    }

    /// The finalize of `version` (`sluice finalize`) since it was last applied, the newest if it ran more than once.
    func finalize(of version: MigrationVersion) -> MigrationHistoryEntry? {
        let newest = entries.first {
            MigrationVersion($0.migrationVersion) == version && ($0.status == .finalized || $0.movedTheMigration)
        }
        return newest?.status == .finalized ? newest : nil
    }

    /// An up of `version` completed and was not undone since.
    func isApplied(_ version: MigrationVersion) -> Bool {
        latest(version).map { $0.direction == .up && $0.status == .applied } ?? false
    }

    /// An up of `version` changed the graph, completely or part-way, and was not undone since, or a down undid part
    /// of it and stopped (cancelled, failed): its down has work.
    func canUndo(_ version: MigrationVersion) -> Bool {
        latest(version).map { entry in
            switch entry.direction {
            case .up: entry.status == .applied || [.partial, .failed].contains(entry.status)
            case .down: [.partial, .failed].contains(entry.status)
            }
        } ?? false
    }

    /// Why a job running `version` in `direction` would have nothing to do on `target`, or `nil` when it has work:
    /// an up that is applied (a run killed after its job succeeded must not apply it again), a down of what is not.
    func nothingToDo(_ version: MigrationVersion, _ direction: JobDirection, target: JobTarget) -> String? {
        switch direction {
        case .up where isApplied(version):
            let job = latest(version)?.job.map { " (job \($0))" } ?? ""
            return "\(version) is already applied on \(target)\(job)"
        case .down where !canUndo(version):
            return "\(version) is not applied on \(target): nothing to undo"
        default:
            return nil
        }
    }

    /// Why a `direction` job of `migration` must not start though there is work: a down of a file changed after it
    /// was applied may not undo what was applied. `nil` when nothing stands in the way.
    func refusal(_ migration: MigrationFile, _ direction: JobDirection) -> String? {
        guard direction == .down, let applied = latest(migration.version), applied.checksum != migration.checksum
        else { return nil }
        return "\(migration.path) changed after \(migration.version) was applied (checksum \(applied.checksum) then): "
            + "its down may not undo what was applied; restore the file as it was, then undo it"
    }

    /// The newest entry of each version that moved it: ``latest(_:)`` for every version at once.
    var latestByVersion: [MigrationVersion: MigrationHistoryEntry] {
        var latest: [MigrationVersion: MigrationHistoryEntry] = [:]
        for entry in entries where entry.movedTheMigration {
            guard let version = MigrationVersion(entry.migrationVersion), latest[version] == nil else { continue }
            latest[version] = entry
        }
        return latest
    }

    /// The migrations applied now, as ``MigrationStatus/classify(files:applied:running:partiallyApplied:)`` takes
    /// them.
    var applied: [AppliedMigration] {
        latestByVersion.compactMap { version, entry in
            guard entry.direction == .up && entry.status == .applied else { return nil }
            return AppliedMigration(version: version, checksum: entry.checksum, name: entry.migrationName)
        }
        .sorted { $0.version < $1.version }
    }

    /// The migrations a job left half-done (failed or stopped after changing items): later migrations wait for them.
    var partiallyApplied: Set<MigrationVersion> {
        Set(latestByVersion.filter { [.partial, .failed].contains($0.value.status) && $0.value.items > 0 }.keys)
    }
}
