import Foundation
import JobStore
import Migrations

/// Where each migration stands on one graph, from the job store: its history (``GraphHistory``: the newest entry per
/// version decides) and its unfinished jobs.
struct MigrationLedger {
    let statuses: [MigrationStatus]
    /// When `sluice finalize` last ran, for each version it ran on since the version was last applied.
    let finalized: [MigrationVersion: Date]

    static func read(_ store: JobStore, catalog: MigrationCatalog, target: JobTarget) async throws -> MigrationLedger {
        let history = try await GraphHistory.load(store, target: target)
        let unfinished = try await store.jobs(states: [.planning, .running, .paused], limit: 10_000)
        let running = Set(
            unfinished.filter { $0.target == target }.compactMap { MigrationVersion($0.migrationVersion) }
        )
        let statuses = MigrationStatus.classify(
            files: catalog.migrations,
            applied: history.applied,
            running: running,
            partiallyApplied: history.partiallyApplied
        )
        var finalized: [MigrationVersion: Date] = [:]
        for status in statuses {
            finalized[status.version] = history.finalize(of: status.version)?.appliedAt
        }
        return MigrationLedger(statuses: statuses, finalized: finalized)
    }

    /// What `run --all` applies: the pending (or unfinished) migrations in version order, up to the
    /// first that is partially applied, which is returned as the blocker: running later migrations over
    /// a half-done one would break the order the files promise.
    var pending: (queue: [MigrationFile], blocker: MigrationStatus?) {
        var queue: [MigrationFile] = []
        for status in statuses {
            switch status.state {
            case .pending, .running:
                if let file = status.file { queue.append(file) }
            case .partiallyApplied:
                return (queue, status)
            case .applied, .changedAfterApply, .missingFile:
                continue
            }
        }
        return (queue, nil)
    }

    func state(of version: MigrationVersion) -> MigrationStatus.State {
        statuses.first { $0.version == version }?.state ?? .pending
    }
}
