/// Turns the decoded fields of the graph structures into their types, checking the shape: Bolt 5 (with
/// element ids) or Bolt 4 (without, which get `String(id)`).
enum GraphShape {
    static func node(_ fields: [BoltValue]) throws(PackStreamError) -> BoltValue.Node {
        let fields = try StructureFields(fields, tag: PackStream.Tag.node, name: "a node", counts: 3, 4)
        let id = try fields.integer(0, "id")
        return BoltValue.Node(
            id: id,
            labels: try fields.list(1, "labels") { $0.stringValue },
            properties: try fields.map(2, "properties"),
            elementID: fields.count == 4 ? try elementID(fields, 3, legacy: id, "element_id") : String(id)
        )
    }

    static func relationship(_ fields: [BoltValue]) throws(PackStreamError) -> BoltValue.Relationship {
        let fields = try StructureFields(fields, tag: PackStream.Tag.relationship, name: "a relationship", counts: 5, 8)
        let id = try fields.integer(0, "id")
        let startID = try fields.integer(1, "start node id")
        let endID = try fields.integer(2, "end node id")
        let type = try fields.string(3, "type")
        let properties = try fields.map(4, "properties")
        var elementID = String(id)
        var startElementID = String(startID)
        var endElementID = String(endID)
        if fields.count == 8 {
            elementID = try self.elementID(fields, 5, legacy: id, "element_id")
            startElementID = try self.elementID(fields, 6, legacy: startID, "start node element_id")
            endElementID = try self.elementID(fields, 7, legacy: endID, "end node element_id")
        }
        return BoltValue.Relationship(
            id: id,
            startNodeID: startID,
            endNodeID: endID,
            type: type,
            properties: properties,
            elementID: elementID,
            startNodeElementID: startElementID,
            endNodeElementID: endElementID
        )
    }

    static func unboundRelationship(_ fields: [BoltValue]) throws(PackStreamError) -> BoltValue.UnboundRelationship {
        let fields = try StructureFields(
            fields,
            tag: PackStream.Tag.unboundRelationship,
            name: "an unbound relationship",
            counts: 3,
            4
        )
        let id = try fields.integer(0, "id")
        return BoltValue.UnboundRelationship(
            id: id,
            type: try fields.string(1, "type"),
            properties: try fields.map(2, "properties"),
            elementID: fields.count == 4 ? try elementID(fields, 3, legacy: id, "element_id") : String(id)
        )
    }

    /// A path's fields are typed here; whether its indices walk consistently is left to the reader
    /// (``BoltValue/Path/segments``), so that a server's odd path does not fail a whole result.
    static func path(_ fields: [BoltValue]) throws(PackStreamError) -> BoltValue.Path {
        let fields = try StructureFields(fields, tag: PackStream.Tag.path, name: "a path", counts: 3)
        return BoltValue.Path(
            nodes: try fields.list(0, "nodes") { $0.nodeValue },
            relationships: try fields.list(1, "relationships") { $0.unboundRelationshipValue },
            indices: try fields.list(2, "indices") { $0.intValue }
        )
    }

    /// An element id: a string; null (a server without element ids) is taken as `String(legacy)`.
    private static func elementID(
        _ fields: StructureFields,
        _ index: Int,
        legacy: Int64,
        _ field: String
    ) throws(PackStreamError) -> String {
        if case .null = fields[index] { return String(legacy) }
        return try fields.string(index, field)
    }
}
