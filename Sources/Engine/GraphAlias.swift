import Bolt
import JobStore

/// The same graph named two ways: the job store's history is keyed by a graph's URL (and database) as written, so a
/// migration applied through `bolt://127.0.0.1:7687` looks pending through `bolt://localhost:7687`, another port of
/// a proxy, or a database spelled differently, and running its up again would change every item a second time. The
/// graph itself tells: the finished node of the job that applied it is there.
public enum GraphAlias {
    /// Why an up of `version` must not start on `target`, the graph behind `connection`: another name's latest entry
    /// in `store`'s history is an applied up whose job's node this graph holds. Nil when there is none.
    public static func upRefusal(
        version: String,
        target: JobTarget,
        store: JobStore,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(EngineError) -> String? {
        let history: [MigrationHistoryEntry]
        do {
            history = try await store.history(limit: 100_000)
        } catch {
            throw .store(.history, error)
        }
        var latest: [JobTarget: MigrationHistoryEntry] = [:]
        for entry in history
        where entry.migrationVersion == version && entry.target != target && entry.movedTheMigration {
            if latest[entry.target] == nil { latest[entry.target] = entry }
        }
        for entry in latest.values.sorted(by: { ($0.id ?? 0) > ($1.id ?? 0) })
        where entry.direction == .up && entry.status == .applied {
            guard let id = entry.job else { continue }
            let applier: Job?
            do {
                applier = try await store.job(id)
            } catch {
                throw .store(.history, error)
            }
            guard let applier else { continue }
            let found: [BoltRecord]
            do {
                found = try await connection.run(
                    GraphJobNode.exists,
                    parameters: ["sluice_job": GraphJobNode.key(applier)],
                    options: options
                ).collect()
            } catch {
                throw .bolt(error)
            }
            guard (found.first?["found"]?.intValue ?? 0) > 0 else { continue }
            return "\(version) is already applied on this graph: job \(id) applied it on \(entry.target), whose job "
                + "node this graph holds; the history names a graph by its URL as written, so on \(target) it looked "
                + "pending and would have changed every item again: use \(entry.target.url)"
        }
        return nil
    }
}
