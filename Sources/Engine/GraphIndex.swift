import Bolt
import Migrations

/// One index as the server lists it, in the shape the engine needs from `SHOW INDEXES` (Neo4j,
/// ArcadeDB) or `CALL db.indexes()` (FalkorDB, which has no SHOW INDEXES and no index names).
public struct GraphIndex: Sendable, Hashable, CustomStringConvertible {
    /// Nil where the server does not name indexes (FalkorDB).
    public var name: String?
    public var entity: IndexRequirement.Entity
    public var labelsOrTypes: [String]
    public var properties: [String]
    /// The server's own word for the index's state: `ONLINE`, `POPULATING`, `FAILED` (Neo4j, ArcadeDB),
    /// `OPERATIONAL`, `UNDER CONSTRUCTION` (FalkorDB).
    public var state: String

    public init(
        name: String?,
        entity: IndexRequirement.Entity,
        labelsOrTypes: [String],
        properties: [String],
        state: String
    ) {
        self.name = name
        self.entity = entity
        self.labelsOrTypes = labelsOrTypes
        self.properties = properties
        self.state = state
    }

    /// Ready to serve queries.
    public var isOnline: Bool { ["ONLINE", "OPERATIONAL"].contains(state.uppercased()) }

    /// Whether the index covers what a migration's `uses_index` line asks for: same label or type, and
    /// the requirement's properties as its leading properties.
    public func serves(_ requirement: IndexRequirement) -> Bool {
        entity == requirement.entity && labelsOrTypes.contains(requirement.labelOrType)
            && properties.starts(with: requirement.properties)
    }

    public var description: String {
        let target =
            entity == .node ? ":\(labelsOrTypes.joined(separator: ":"))" : "[:\(labelsOrTypes.joined(separator: "|"))]"
        return "\(name.map { "\($0) " } ?? "")\(target)(\(properties.joined(separator: ", "))) \(state)"
    }

    /// Reads a row of `SHOW INDEXES`; nil for rows that are not property indexes (lookup indexes).
    init?(showIndexes record: BoltRecord) {
        guard let labels = record["labelsOrTypes"]?.listValue?.compactMap(\.stringValue),
            let properties = record["properties"]?.listValue?.compactMap(\.stringValue),
            !labels.isEmpty, !properties.isEmpty
        else { return nil }
        self.init(
            name: record["name"]?.stringValue,
            entity: record["entityType"]?.stringValue?.uppercased() == "RELATIONSHIP" ? .relationship : .node,
            labelsOrTypes: labels,
            properties: properties,
            state: record["state"]?.stringValue ?? "UNKNOWN"
        )
    }

    /// Reads a row of FalkorDB's `CALL db.indexes()`.
    init?(dbIndexes record: BoltRecord) {
        guard let label = record["label"]?.stringValue,
            let properties = record["properties"]?.listValue?.compactMap(\.stringValue)
        else { return nil }
        self.init(
            name: nil,
            entity: record["entitytype"]?.stringValue?.uppercased() == "RELATIONSHIP" ? .relationship : .node,
            labelsOrTypes: [label],
            properties: properties,
            state: record["status"]?.stringValue ?? "UNKNOWN"
        )
    }
}
