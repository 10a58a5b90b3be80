import Bolt
import Logging
import Migrations

/// Runs a migration's schema steps: each in an auto-commit transaction of its own (Neo4j refuses
/// schema changes in a transaction that writes data), then, for a created index, waits until the
/// server lists it ONLINE, so the batches that follow never scan.
///
/// A step whose effect is already there (an index created by a run that was killed afterwards, one
/// already dropped) is not run again, so a resumed job passes its schema steps safely even when they
/// lack `IF [NOT] EXISTS`. Where the server cannot list its indexes, the step runs as written and
/// the wait is skipped with a warning naming the gap.
public struct SchemaStepRunner: Sendable {
    let connection: BoltConnection
    let options: BoltTransactionOptions
    /// How long an index may take to come ONLINE.
    let onlineTimeout: Duration
    let logger: Logger

    public init(
        connection: BoltConnection,
        options: BoltTransactionOptions,
        onlineTimeout: Duration = .seconds(600),
        logger: Logger
    ) {
        self.connection = connection
        self.options = options
        self.onlineTimeout = onlineTimeout
        self.logger = logger
    }

    public func run(_ step: SchemaStep, of migration: MigrationFile) async throws(EngineError) {
        let catalog = IndexCatalog(connection: connection, options: options)
        let matches: @Sendable (GraphIndex) -> Bool = { index in
            if let name = step.name, let indexName = index.name { return name == indexName }
            if let target = step.target {
                return index.serves(target) && index.properties.count == target.properties.count
            }
            return false
        }
        var listed: [GraphIndex]?
        if step.object == .index, step.name != nil || step.target != nil {
            do {
                listed = try await catalog.indexes()
            } catch .migration(let gap) {
                logger.warning(
                    "cannot tell whether the index exists or wait for it to come ONLINE",
                    metadata: ["reason": "\(gap)", "line": "\(step.line)"]
                )
            }
        }
        let existing = listed?.filter(matches) ?? []
        switch (step.action, listed) {
        case (.create, .some) where !existing.isEmpty:
            logger.info("index already exists", metadata: ["index": "\(existing[0])"])
        case (.drop, .some) where existing.isEmpty:
            logger.info("index already gone", metadata: ["line": "\(step.line)"])
            return
        default:
            do {
                try await connection.run(step.statement, options: options).consume()
            } catch .server(let error) {
                throw .schema("\(migration.path):\(step.line): \(step.statement): \(error.message)")
            } catch {
                throw .bolt(error)
            }
        }
        guard step.action == .create, step.object == .index, listed != nil else { return }
        let online = try await catalog.waitOnline(
            timeout: onlineTimeout,
            what: "index \(step.name ?? step.target?.description ?? step.statement)",
            matching: matches
        )
        logger.info("index online", metadata: ["index": "\(online.map(\.description).joined(separator: ", "))"])
    }
}
