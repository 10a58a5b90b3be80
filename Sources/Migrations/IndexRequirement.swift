/// An index a migration relies on, declared with `// sluice:uses_index :Project(customerId)`.
///
/// Pre-flight refuses to start the migration until such an index exists and is ONLINE, and names it:
/// a change that looks items up by a property (MERGE on a key, a MATCH in the change) would otherwise
/// scan the label once per item.
public struct IndexRequirement: Sendable, Hashable, CustomStringConvertible {
    public enum Entity: String, Sendable, Hashable {
        case node
        case relationship
    }

    public let entity: Entity
    /// The label (of a node index) or the relationship type.
    public let labelOrType: String
    public let properties: [String]
    public let line: Int

    public init(entity: Entity, labelOrType: String, properties: [String], line: Int) {
        self.entity = entity
        self.labelOrType = labelOrType
        self.properties = properties
        self.line = line
    }

    /// `:Project(customerId)` or `[:LOGGED_HOURS](date)`, as the directive writes it.
    public var description: String {
        let list = "(" + properties.joined(separator: ", ") + ")"
        return entity == .node ? ":\(labelOrType)\(list)" : "[:\(labelOrType)]\(list)"
    }
}
