/// What one item of a data step is: one node, `(p:Project)`, or one relationship,
/// `(u:User)-[r:LOGGED_HOURS]->(p:Project)`, whose variable names the item.
///
/// The engine plans with `MATCH <text> WHERE <predicate> RETURN id(<variable>)` and changes a batch
/// with `MATCH <text> WHERE id(<variable>) = i AND (<predicate>) ...`, so the pattern must be a single
/// node or relationship whose id identifies the item, with a label or type to plan from; property
/// conditions belong in the predicate, which is checked again in every batch.
public struct ItemPattern: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case node
        case relationship
    }

    /// The pattern as written: `(p:Project)`.
    public let text: String
    public let kind: Kind
    /// The item's variable: the node's, or the relationship's.
    public let variable: String
    /// The node's labels, or the relationship's one type.
    public let labelsOrTypes: [String]
    /// Every variable the pattern binds, the item's included (a relationship's end nodes may be named
    /// for the change to use): a change run in `CALL { WITH ... }` must import them all.
    public let boundVariables: [String]

    public init(text: String, kind: Kind, variable: String, labelsOrTypes: [String], boundVariables: [String]) {
        self.text = text
        self.kind = kind
        self.variable = variable
        self.labelsOrTypes = labelsOrTypes
        self.boundVariables = boundVariables
    }
}
