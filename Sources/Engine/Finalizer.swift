import Bolt
import Foundation
import JobStore
import Logging
import Migrations

/// Runs a migration's `finalize` direction (`sluice finalize`): strips the bookkeeping a finished
/// migration kept for its `down`, then marks the graph's `(:Migration)` node `finalizedAt`, after which
/// pre-flight refuses that migration's `down` (it would find nothing to restore).
///
/// Not a job: the change only removes properties its predicate selects, so it is idempotent, and a
/// run that was interrupted is simply run again. Each batch runs in the server's atomic unit. It takes the graph's
/// hold on the step's items as a job does (``GraphHold``), so it waits for no job and no job runs beside it: one that
/// holds them refuses the finalize, which holds them from its first batch to its last. `maxItemsPerSecond` paces it.
public struct Finalizer: Sendable {
    let connection: BoltConnection
    let capabilities: BoltCapabilities
    let migration: MigrationFile
    let options: BoltTransactionOptions
    let batchSize: Int
    let maxItemsPerSecond: Int?
    /// Who holds the items while it runs, as `sluice status` of a refused job names it.
    let holder: String
    /// The hold's holder key: its own, as a job's is its node's key.
    let holdKey = "finalize/\(UUID().uuidString)"
    let logger: Logger

    /// How long the hold lasts unless a batch renews it: a finalize killed mid-way frees the items after this.
    static let holdDuration = Duration.seconds(60)

    public init(
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        migration: MigrationFile,
        options: BoltTransactionOptions,
        batchSize: Int,
        maxItemsPerSecond: Int? = nil,
        holder: String,
        logger: Logger
    ) {
        self.connection = connection
        self.capabilities = capabilities
        self.migration = migration
        self.options = options
        self.batchSize = max(1, batchSize)
        self.maxItemsPerSecond = maxItemsPerSecond.map { max(1, $0) }
        self.holder = holder
        self.logger = logger
    }

    /// Marks the version finalized, or finds when it was.
    static let mark = """
        \(GraphMigrationNodes.matchVersion)
        SET m.finalizedAt = $now
        """
    static let finalizedAt = """
        \(GraphMigrationNodes.matchVersion) AND m.finalizedAt IS NOT NULL
        RETURN toString(m.finalizedAt) AS finalizedAt
        """

    /// When the graph says `migration` was finalized, or nil.
    public static func finalized(
        _ migration: MigrationFile,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> String? {
        let records = try await connection.run(
            finalizedAt,
            parameters: GraphMigrationNodes.parameters(of: migration.version),
            options: options
        ).collect()
        return records.first?["finalizedAt"]?.stringValue
    }

    /// Why `migration`'s down may not run on the graph behind `connection`, or nil: the graph says it was finalized
    /// (``finalized(_:connection:options:)``), so what its down needs to restore the graph is gone. The engine refuses
    /// such a down before its first write; `sluice enqueue --down` and `sluice run --down` before they make a job.
    public static func downRefusal(
        _ migration: MigrationFile,
        connection: BoltConnection,
        options: BoltTransactionOptions
    ) async throws(BoltError) -> String? {
        try await finalized(migration, connection: connection, options: options).map { when in
            "\(migration.version) was finalized at \(when): the bookkeeping its down needs is gone, so down cannot "
                + "restore it"
        }
    }

    /// Returns how many items lost their bookkeeping and the finalize verify's answer, if it has one.
    public func run() async throws(EngineError) -> (changed: Int64, verify: VerifyResult?) {
        guard let direction = migration.finalize else {
            throw .migration("\(migration.version) has no finalize step: it keeps no bookkeeping for its down")
        }
        let parameters = try await JobRunner.bindParameters(of: migration, connection: connection, options: options)
        var changed: Int64 = 0
        for step in direction.dataSteps {
            do {
                changed += try await finalize(step, parameters: parameters)
            } catch {
                await release(step)
                throw error
            }
            await release(step)
        }
        var verdict: VerifyResult?
        if let verify = direction.verify {
            let result = try await VerifyResult.run(
                verify,
                connection: connection,
                parameters: parameters,
                options: options
            )
            guard result.passed else {
                throw .migration("finalize verify (line \(verify.line)) did not pass: \(result)")
            }
            verdict = result
        }
        var mark = GraphMigrationNodes.parameters(of: migration.version)
        mark["now"] = .string(Date().formatted(.iso8601))  // no ICU (see GraphMigrationNodes.mirror)
        do {
            try await connection.run(Self.mark, parameters: mark, options: options).consume()
        } catch {
            throw .bolt(error)
        }
        return (changed, verdict)
    }

    /// Strips the bookkeeping of `step`'s items in batches, holding them: returns how many lost it.
    private func finalize(_ step: DataStep, parameters: [String: BoltValue]) async throws(EngineError) -> Int64 {
        try await hold(step)
        let statement = BatchStatement(step: step, capabilities: capabilities)
        var changed: Int64 = 0
        let ids: [Int64]
        do {
            // Ascending: where batches address id ranges a slice is its first and last id, and the server returns
            // ids in no particular order (FalkorDB hands deleted nodes' ids out again, so a node created later
            // may come first with a higher id or last with a lower one, outside the range of its slice).
            ids = try await connection.run(statement.planning, parameters: parameters, options: options).collect()
                .compactMap { $0[0].intValue }.sortedUnique()
        } catch {
            throw .bolt(error)
        }
        var offset = 0
        while offset < ids.count {
            let started = ContinuousClock.now
            let slice = ids[offset..<min(ids.count, offset + batchSize)]
            changed += try await apply(statement, ids: slice, parameters: parameters)
            offset += slice.count
            if let maxItemsPerSecond {
                let share = Duration.seconds(Double(slice.count) / Double(maxItemsPerSecond))
                try? await Task.sleep(until: started + share)
            }
            try await hold(step)
        }
        return changed
    }

    /// Takes the hold on `step`'s items, or renews it; refuses when a job (or another finalize) holds them.
    private func hold(_ step: DataStep) async throws(EngineError) {
        let answer: GraphHold.Answer
        do {
            answer = try await GraphHold.take(
                step,
                for: .string(holdKey),
                named: holder,
                lasting: Self.holdDuration,
                on: connection,
                options: options,
                unit: capabilities.atomicUnit
            )
        } catch {
            throw .bolt(error)
        }
        if case .busy(let other) = answer {
            throw .migration("the items are held by \(other): finalize once it has ended")
        }
    }

    /// Gives the hold on `step`'s items up; best effort: one not given up expires after ``holdDuration``.
    private func release(_ step: DataStep) async {
        let parameters: [String: BoltValue] = [
            "sluice_graph": .string(GraphHold.key(of: step)), "sluice_job": .string(holdKey),
        ]
        _ = try? await connection.run(GraphHold.releaseHeld, parameters: parameters, options: options).consume()
    }

    private func apply(
        _ statement: BatchStatement,
        ids: ArraySlice<Int64>,
        parameters: [String: BoltValue]
    ) async throws(EngineError) -> Int64 {
        let batch = parameters.merging(statement.itemParameters(ids)) { _, item in item }
        do {
            return try await connection.runAtomically(
                statement.unfenced,
                parameters: batch,
                options: options,
                unit: capabilities.atomicUnit
            ).first?["sluice_changed"]?.intValue ?? 0
        } catch {
            throw .bolt(error)
        }
    }
}
