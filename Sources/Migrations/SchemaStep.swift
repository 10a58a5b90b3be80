/// A CREATE or DROP of an index or constraint.
///
/// Neo4j refuses schema changes inside a transaction that also writes data, so the engine runs each
/// schema step in an auto-commit transaction of its own and, for an index, waits until it is ONLINE.
/// Every schema step of `up` has its own schema step in `down`.
public struct SchemaStep: Sendable, Hashable {
    public enum Action: String, Sendable, Hashable {
        case create
        case drop
    }

    public enum Object: String, Sendable, Hashable {
        case index
        case constraint
    }

    /// The statement as written, without a trailing `;`.
    public let statement: String
    public let action: Action
    public let object: Object
    /// The index or constraint name, when the statement gives one (`CREATE INDEX project_risk_score ...`).
    public let name: String?
    /// What a `CREATE ... INDEX ... FOR <pattern> ON (<properties>)` indexes, so that the engine can find
    /// the index in the server's list (FalkorDB's indexes have no names); nil for other statements.
    public let target: IndexRequirement?
    public let line: Int

    public init(
        statement: String,
        action: Action,
        object: Object,
        name: String?,
        target: IndexRequirement? = nil,
        line: Int
    ) {
        self.statement = statement
        self.action = action
        self.object = object
        self.name = name
        self.target = target
        self.line = line
    }
}
