import Bolt
import JobStore
import Logging
import Migrations

/// The checks run before a job's first write (DESIGN.md, "Safety before the first write"): each
/// failure refuses the job with a reason naming the check, which `skip` may waive one by one.
///
/// Everything here reads, except ``PreflightCheck/write``: one node created and deleted in the same
/// statement, which leaves nothing behind.
public struct Preflight: Sendable {
    let connection: BoltConnection
    let capabilities: BoltCapabilities
    let options: BoltTransactionOptions
    let skip: Set<PreflightCheck>
    let logger: Logger

    public init(
        connection: BoltConnection,
        capabilities: BoltCapabilities,
        options: BoltTransactionOptions,
        skip: Set<PreflightCheck>,
        logger: Logger
    ) {
        self.connection = connection
        self.capabilities = capabilities
        self.options = options
        self.skip = skip
        self.logger = logger
    }

    /// A small query that a server without `feature` fails.
    /// Temporal values are returned as text: RETURNing one aborts FalkorDB.
    static func probe(for feature: CypherFeature) -> String {
        switch feature {
        case .typePredicate: "RETURN 1 IS :: INTEGER AS ok"
        case .durationInDays: "RETURN duration.inDays(date('2024-01-01'), date('2024-03-01')).days AS ok"
        case .datetime: "RETURN toString(datetime()) AS ok"
        case .indexIfNotExists: "DROP INDEX sluice_preflight_probe IF EXISTS"
        case .existsSubquery: "RETURN EXISTS { MATCH (n:SluicePreflight) } AS ok"
        case .countSubquery: "RETURN COUNT { MATCH (n:SluicePreflight) } AS ok"
        }
    }

    /// The checks that need no plan: features, then write access. Run before the migration's
    /// parameters are bound: binding `date()` where temporal values are unsupported can abort the
    /// server (FalkorDB), and the features check is what finds that out.
    public func checkServer(_ migration: MigrationFile) async throws(EngineError) {
        try await checkFeatures(migration)
        try await checkWrite()
    }

    /// Probes each feature the migration `requires`; refuses naming every one the server lacks.
    public func checkFeatures(_ migration: MigrationFile) async throws(EngineError) {
        if !skip.contains(.features) {
            var missing: [String: String] = [:]
            for feature in migration.requires {
                // The parser refuses other names; only a MigrationFile built in code can have one.
                guard let known = CypherFeature(rawValue: feature) else {
                    logger.warning("no pre-flight probe for a required feature", metadata: ["feature": "\(feature)"])
                    continue
                }
                do {
                    try await connection.run(Self.probe(for: known), options: options).consume()
                } catch .server(let error) {
                    let said = error.message.split(separator: "\n").first.map(String.init) ?? ""
                    missing[feature] = said.count > 100 ? String(said.prefix(100)) + "..." : said
                } catch {
                    throw .bolt(error)
                }
            }
            if !missing.isEmpty { throw .preflight(.featuresMissing(missing)) }
        }
    }

    /// A write that leaves nothing behind: refuses a read-only database or account.
    public func checkWrite() async throws(EngineError) {
        if !skip.contains(.write) {
            do {
                try await connection.run("CREATE (n:SluicePreflight) DELETE n", options: options).consume()
            } catch .server(let error) {
                throw .preflight(.notWritable(serverSaid: error.message))
            } catch {
                throw .bolt(error)
            }
        }
    }

    /// How many items a data step selects now, read-only.
    public func count(_ step: DataStep, parameters: [String: BoltValue]) async throws(EngineError) -> Int64 {
        let query = "MATCH \(step.pattern.text) WHERE (\(step.predicate)) RETURN count(*) AS sluice_count"
        do {
            let records = try await connection.run(query, parameters: parameters, options: options).collect()
            return records.first?["sluice_count"]?.intValue ?? 0
        } catch {
            throw .bolt(error)
        }
    }

    /// Refuses a direction whose data steps select more than the migration's `max_items`.
    public func checkCount(
        _ migration: MigrationFile,
        direction: MigrationDirection,
        parameters: [String: BoltValue]
    ) async throws(EngineError) {
        guard !skip.contains(.maxItems), let maxItems = migration.options.maxItems else { return }
        for step in direction.dataSteps {
            let planned = try await count(step, parameters: parameters)
            if planned > Int64(maxItems) {
                throw .preflight(.maxItemsExceeded(planned: planned, maxItems: maxItems))
            }
        }
    }

    /// Refuses an up of `migration` on `target` that the graph's own history records as applied, with this file's
    /// checksum, while `store`'s does not: the `(:Migration)` nodes are the graph's, mirrored by every job store that
    /// ran a migration there, so a second store (or one recreated empty) would otherwise change every item again. A
    /// node with another checksum is another migration under the same number (another application's): no refusal.
    public func checkGraphHistory(
        _ migration: MigrationFile,
        target: JobTarget,
        store: JobStore
    ) async throws(EngineError) {
        guard !skip.contains(.history) else { return }
        let nodes: [BoltRecord]
        do {
            nodes = try await connection.run(
                GraphMigrationNodes.appliedNode,
                parameters: GraphMigrationNodes.parameters(of: migration.version),
                options: options
            ).collect()
        } catch {
            throw .bolt(error)
        }
        guard let node = nodes.first(where: { $0["checksum"] == .string(migration.checksum) }) else { return }
        let history: [MigrationHistoryEntry]
        do {
            history = try await store.history(target: target, limit: 100_000)
        } catch {
            throw .store(.history, error)
        }
        let latest = history.first { $0.migrationVersion == migration.version.description && $0.movedTheMigration }
        guard latest?.status != .applied else { return }
        throw .preflight(
            .appliedElsewhere(
                version: migration.version.description,
                appliedBy: node["appliedBy"]?.stringValue ?? "an unnamed worker",
                appliedAt: node["appliedAt"]?.stringValue ?? "an unrecorded time"
            )
        )
    }

    /// Refuses a migration whose `uses_index` indexes are missing or not ONLINE.
    public func checkIndexes(_ migration: MigrationFile) async throws(EngineError) {
        guard !skip.contains(.indexes), !migration.indexes.isEmpty else { return }
        let listed: [GraphIndex]
        do {
            listed = try await IndexCatalog(connection: connection, options: options).indexes()
        } catch .migration(let gap) {
            throw .preflight(.indexesUnlisted(reason: gap))
        }
        for requirement in migration.indexes {
            let serving = listed.filter { $0.serves(requirement) }
            guard serving.contains(where: \.isOnline) else {
                throw .preflight(.indexMissing(requirement, found: serving.map(\.description)))
            }
        }
    }

    /// EXPLAINs the batch statement where the server returns plans, and refuses one that scans.
    /// Returns the plan's text (empty where the server has no EXPLAIN, or the check is skipped) for dry-run to show.
    @discardableResult
    public func checkPlan(
        _ statement: BatchStatement,
        parameters: [String: BoltValue]
    ) async throws(EngineError) -> String {
        guard capabilities.explainReturnsPlan, !skip.contains(.plan) else { return "" }
        let explained = statement.parameters(ids: [0], job: 0, token: 0, from: 0, hold: .seconds(1), bound: parameters)
        let plan: BoltValue
        do {
            let summary = try await connection.run(
                "EXPLAIN " + statement.batch,
                parameters: explained,
                options: options
            )
            .consume()
            plan = summary.metadata["plan"] ?? .null
        } catch {
            throw .bolt(error)
        }
        if let scan = BatchPlanCheck.scan(in: plan, variable: statement.step.pattern.variable) {
            throw .preflight(.scanPerBatch(operator: scan))
        }
        return Self.text(plan)
    }

    /// A plan as indented operator lines, or the server's own rendering where it gives one (ArcadeDB).
    static func text(_ plan: BoltValue, depth: Int = 0) -> String {
        guard let map = plan.mapValue else { return "" }
        if let rendered = map["args"]?.mapValue?["string-representation"]?.stringValue { return rendered }
        let line = String(repeating: "  ", count: depth) + "+ " + (map["operatorType"]?.stringValue ?? "?")
        let details = map["args"]?.mapValue?["Details"]?.stringValue.map { " " + $0 } ?? ""
        return ([line + details] + (map["children"]?.listValue ?? []).map { text($0, depth: depth + 1) })
            .joined(separator: "\n")
    }
}
