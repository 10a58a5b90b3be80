import Bolt
import JobStore
import Logging
import Migrations

/// A migration's direction previewed without writing: each step's statement, the items a data step
/// would plan (the planning query, read-only), the batch statement and its EXPLAIN plan, and what
/// pre-flight would say. With a sample size, that many items are changed inside a transaction that
/// is rolled back, only on a server whose rollback probe showed that rollback undoes writes.
public struct DryRun: Sendable {
    /// One step as the dry run found it.
    public struct Step: Sendable, Hashable {
        public var line: Int
        public var kind: String
        /// A schema step's statement, or a data step's batch statement.
        public var statement: String
        /// Items the planning query lists now (data steps).
        public var planned: Int64?
        /// The batch statement's EXPLAIN plan; nil where the server has no EXPLAIN over Bolt.
        public var plan: String?
        /// Items the sample ran through the change, and how many it changed, before the rollback.
        public var sampled: Int?
        public var sampleChanged: Int64?
    }

    public struct Report: Sendable, Hashable {
        public var steps: [Step]
        /// Pre-flight checks that would refuse the job, as their one-line reasons.
        public var refusals: [String]
        /// Pre-flight checks a dry run cannot make, and why.
        public var unchecked: [String] = []
        /// The migration's declared parameters as the server evaluated them now: a job binds them once, when it is
        /// planned, so a job run later gets its own values.
        public var parameters: [String: BoltValue] = [:]
    }

    let connection: BoltConnection
    let capabilities: BoltCapabilities
    let migration: MigrationFile
    let options: BoltTransactionOptions
    /// Pre-flight checks to leave out of the refusals, as the job would skip them.
    let skip: Set<PreflightCheck>
    /// Told before each query, as ``JobRunner``'s: a daemon's watchdog allows one query's time between signs.
    let stillWorking: (@Sendable () -> Void)?
    let logger: Logger

    public init(
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        migration: MigrationFile,
        options: BoltTransactionOptions,
        skip: Set<PreflightCheck> = [],
        stillWorking: (@Sendable () -> Void)? = nil,
        logger: Logger
    ) {
        self.connection = connection
        self.capabilities = capabilities
        self.migration = migration
        self.options = options
        self.skip = skip
        self.stillWorking = stillWorking
        self.logger = logger
    }

    /// Why `--sample` cannot run here, or nil when it can.
    public var sampleRefusal: String? {
        capabilities.rollbackUndoesWrites
            ? nil
            : "--sample needs a server whose ROLLBACK undoes writes, and the capability probe found that this "
                + "one's does not (FalkorDB's transactions are not real): a sample would write for good"
    }

    public func run(_ kind: MigrationDirection.Kind, sample: Int?) async throws(EngineError) -> Report {
        guard let direction = migration.direction(kind) else {
            throw .migration("\(migration.version) has no \(kind) direction")
        }
        if sample != nil, let refusal = sampleRefusal { throw .migration(refusal) }
        // Counting a finalized migration's down finds nothing (its bookkeeping is gone): say why instead.
        if kind == .down {
            stillWorking?()
            let refusal: String?
            do {
                refusal = try await Finalizer.downRefusal(migration, connection: connection, options: options)
            } catch {
                throw .bolt(error)
            }
            if let refusal { throw .migration(refusal) }
        }
        let preflight = Preflight(
            connection: connection,
            capabilities: capabilities,
            options: options,
            skip: skip,
            logger: logger
        )
        // A server without the required features cannot even bind the parameters.
        stillWorking?()
        try await preflight.checkFeatures(migration)
        stillWorking?()
        let parameters = try await JobRunner.bindParameters(of: migration, connection: connection, options: options)
        // Pre-flight's other read-only checks, reported instead of refusing.
        var refusals: [String] = []
        func note(_ check: () async throws(EngineError) -> Void) async throws(EngineError) {
            stillWorking?()
            do {
                try await check()
            } catch .preflight(let failure) {
                refusals.append("\(failure)")
            }
        }
        try await note { () async throws(EngineError) in
            try await preflight.checkCount(migration, direction: direction, parameters: parameters)
        }
        // The job checks `uses_index` after the schema steps before its data step, which may create the index: a dry
        // run, which runs none, would refuse what the job accepts.
        var unchecked: [String] = []
        if case .schema(let schema)? = direction.steps.first, !skip.contains(.indexes) {
            unchecked.append(
                "indexes: checked after the schema steps from line \(schema.line) on, which a dry run does not run"
            )
        } else {
            try await note { () async throws(EngineError) in try await preflight.checkIndexes(migration) }
        }

        var steps: [Step] = []
        for step in direction.steps {
            switch step {
            case .schema(let schema):
                steps.append(Step(line: schema.line, kind: "schema", statement: schema.statement))
            case .data(let data):
                let statement = BatchStatement(step: data, capabilities: capabilities)
                stillWorking?()
                // Counted on the server unless a sample needs the ids: a million ids need not cross the wire to be
                // counted.
                let ids = sample == nil ? [] : try await plannedIDs(statement, parameters: parameters)
                let planned = sample == nil ? try await preflight.count(data, parameters: parameters) : Int64(ids.count)
                var plan: String?
                try await note { () async throws(EngineError) in
                    let text = try await preflight.checkPlan(statement, parameters: parameters)
                    plan = capabilities.explainReturnsPlan ? text : nil
                }
                var report = Step(
                    line: data.line,
                    kind: "data",
                    statement: statement.batch,
                    planned: planned,
                    plan: plan
                )
                if let sample {
                    let chosen = Array(ids.prefix(sample))
                    report.sampled = chosen.count
                    report.sampleChanged = try await runSample(statement, ids: chosen, parameters: parameters)
                }
                steps.append(report)
            }
        }
        return Report(steps: steps, refusals: refusals, unchecked: unchecked, parameters: parameters)
    }

    /// The planning query's ids, read-only, ascending: a sample addressed as an id range is its first and last id.
    private func plannedIDs(
        _ statement: BatchStatement,
        parameters: [String: BoltValue]
    ) async throws(EngineError) -> [Int64] {
        do {
            return try await connection.run(statement.planning, parameters: parameters, options: options).collect()
                .compactMap { $0[0].intValue }.sortedUnique()
        } catch {
            throw .bolt(error)
        }
    }

    /// Runs the change on `ids` in a transaction and rolls it back; returns how many items it changed.
    private func runSample(
        _ statement: BatchStatement,
        ids: [Int64],
        parameters: [String: BoltValue]
    ) async throws(EngineError) -> Int64 {
        guard !ids.isEmpty else { return 0 }
        let sampleParameters = parameters.merging(statement.itemParameters(ids[...])) { _, item in item }
        do {
            return try await rolledBack(statement.unfenced, parameters: sampleParameters)
        } catch .server(let error) {
            throw .migration("the sample failed and was rolled back: \(error.message)")
        } catch {
            throw .bolt(error)
        }
    }

    /// Runs `query` in a transaction that is rolled back however it ends; returns its `sluice_changed`.
    private func rolledBack(_ query: String, parameters: [String: BoltValue]) async throws(BoltError) -> Int64 {
        let transaction = try await connection.beginTransaction(options: options)
        let records: [BoltRecord]
        do {
            records = try await transaction.run(query, parameters: parameters).collect()
        } catch {
            if connection.isActive { try? await transaction.rollback() }
            throw error
        }
        try await transaction.rollback()
        return records.first?["sluice_changed"]?.intValue ?? 0
    }
}
