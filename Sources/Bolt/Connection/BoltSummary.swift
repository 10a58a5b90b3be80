/// What the server reported when a result completed: the update counters and timings.
public struct BoltSummary: Sendable, Hashable {
    public var counters: BoltCounters
    /// Milliseconds the server spent until the result was available (RUN's `t_first`).
    public var resultAvailableAfter: Int64?
    /// Milliseconds the server spent streaming the result (`t_last`).
    public var resultConsumedAfter: Int64?
    /// `r`, `w`, `rw` or `s` (schema): what kind of query ran.
    public var queryType: String?
    public var database: String?
    /// Everything the final SUCCESS carried, for what has no dedicated field (plan, notifications).
    public var metadata: [String: BoltValue]

    init(metadata: [String: BoltValue]) {
        self.metadata = metadata
        if case .map(let stats) = metadata["stats"] {
            self.counters = BoltCounters(stats: stats)
        } else {
            self.counters = BoltCounters()
        }
        if case .integer(let t) = metadata["t_last"] { self.resultConsumedAfter = t }
        if case .string(let type) = metadata["type"] { self.queryType = type }
        if case .string(let db) = metadata["db"] { self.database = db }
    }
}

/// Update counters of a query. Servers spell the keys differently (Neo4j and FalkorDB hyphenate them,
/// `nodes-created`; others use `nodes_created` or camel case), so every spelling is read.
public struct BoltCounters: Sendable, Hashable {
    public var nodesCreated = 0
    public var nodesDeleted = 0
    public var relationshipsCreated = 0
    public var relationshipsDeleted = 0
    public var propertiesSet = 0
    public var labelsAdded = 0
    public var labelsRemoved = 0
    public var indexesAdded = 0
    public var indexesRemoved = 0
    public var constraintsAdded = 0
    public var constraintsRemoved = 0
    public var systemUpdates = 0
    /// Counters the server sent under names not listed above, kept as they came.
    public var other: [String: Int] = [:]

    public init() {}

    init(stats: [String: BoltValue]) {
        for (key, value) in stats {
            guard case .integer(let number) = value else { continue }
            let count = Int(truncatingIfNeeded: number)
            let normalized = key.lowercased().filter { $0.isLetter }
            switch normalized {
            case "nodescreated": nodesCreated = count
            case "nodesdeleted": nodesDeleted = count
            case "relationshipscreated": relationshipsCreated = count
            case "relationshipsdeleted": relationshipsDeleted = count
            case "propertiesset": propertiesSet = count
            case "labelsadded": labelsAdded = count
            case "labelsremoved": labelsRemoved = count
            case "indexesadded": indexesAdded = count
            case "indexesremoved": indexesRemoved = count
            case "constraintsadded": constraintsAdded = count
            case "constraintsremoved": constraintsRemoved = count
            case "systemupdates": systemUpdates = count
            default: other[key] = count
            }
        }
    }

    /// The counters that are not zero, by their Neo4j names, in a stable order: for printing.
    public var nonZero: [(name: String, value: Int)] {
        let named: [(String, Int)] = [
            ("nodes-created", nodesCreated), ("nodes-deleted", nodesDeleted),
            ("relationships-created", relationshipsCreated), ("relationships-deleted", relationshipsDeleted),
            ("properties-set", propertiesSet), ("labels-added", labelsAdded), ("labels-removed", labelsRemoved),
            ("indexes-added", indexesAdded), ("indexes-removed", indexesRemoved),
            ("constraints-added", constraintsAdded), ("constraints-removed", constraintsRemoved),
            ("system-updates", systemUpdates),
        ]
        return (named + other.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }).filter { $0.1 != 0 }
    }
}
