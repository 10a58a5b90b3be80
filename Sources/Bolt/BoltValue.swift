/// A value as Bolt carries it: the PackStream v2 types plus the graph, temporal and spatial structures of
/// Bolt 5.
///
/// Parameters are built from it and records are made of it. A structure this client does not model (a
/// newer server's type) decodes as ``BoltValue/structure(_:)`` with its tag and fields, so that an
/// unexpected type in a result is visible to the caller instead of failing the whole stream.
public enum BoltValue: Sendable, Hashable {
    case null
    case boolean(Bool)
    case integer(Int64)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([BoltValue])
    case map([String: BoltValue])
    case date(BoltDate)
    case time(BoltTime)
    case localTime(BoltLocalTime)
    case localDateTime(BoltLocalDateTime)
    // The larger cases are indirect: boxed, they keep every value at 24 bytes instead of 104, which
    // halves the time to decode a large result.
    indirect case dateTime(BoltDateTime)
    indirect case duration(BoltDuration)
    indirect case point(BoltPoint)
    indirect case node(Node)
    indirect case relationship(Relationship)
    indirect case unboundRelationship(UnboundRelationship)
    indirect case path(Path)
    /// A PackStream structure this client does not decode into a dedicated type.
    indirect case structure(Structure)
}

extension BoltValue {
    /// A PackStream structure: a one-byte tag and up to 15 fields.
    public struct Structure: Sendable, Hashable {
        public var tag: UInt8
        public var fields: [BoltValue]

        public init(tag: UInt8, fields: [BoltValue]) {
            self.tag = tag
            self.fields = fields
        }
    }

    /// A node as returned in a record (structure tag 0x4E).
    public struct Node: Sendable, Hashable {
        /// The legacy integer id, as `id(n)` returns it.
        public var id: Int64
        public var labels: [String]
        public var properties: [String: BoltValue]
        /// The element id (Bolt 5); servers that predate it get `String(id)`.
        public var elementID: String

        public init(id: Int64, labels: [String], properties: [String: BoltValue], elementID: String) {
            self.id = id
            self.labels = labels
            self.properties = properties
            self.elementID = elementID
        }
    }

    /// A relationship with both ends (structure tag 0x52).
    public struct Relationship: Sendable, Hashable {
        public var id: Int64
        public var startNodeID: Int64
        public var endNodeID: Int64
        public var type: String
        public var properties: [String: BoltValue]
        public var elementID: String
        public var startNodeElementID: String
        public var endNodeElementID: String

        public init(
            id: Int64,
            startNodeID: Int64,
            endNodeID: Int64,
            type: String,
            properties: [String: BoltValue],
            elementID: String,
            startNodeElementID: String,
            endNodeElementID: String
        ) {
            self.id = id
            self.startNodeID = startNodeID
            self.endNodeID = endNodeID
            self.type = type
            self.properties = properties
            self.elementID = elementID
            self.startNodeElementID = startNodeElementID
            self.endNodeElementID = endNodeElementID
        }
    }

    /// A relationship inside a path, whose ends are given by the path (structure tag 0x72).
    public struct UnboundRelationship: Sendable, Hashable {
        public var id: Int64
        public var type: String
        public var properties: [String: BoltValue]
        public var elementID: String

        public init(id: Int64, type: String, properties: [String: BoltValue], elementID: String) {
            self.id = id
            self.type = type
            self.properties = properties
            self.elementID = elementID
        }
    }

    /// A path (structure tag 0x50), kept in the wire form: distinct nodes, distinct relationships, and
    /// the index sequence that walks them.
    public struct Path: Sendable, Hashable {
        public var nodes: [Node]
        public var relationships: [UnboundRelationship]
        /// Alternating relationship and node indexes, as the Bolt specification defines them:
        /// relationship indexes are 1-based and negative when traversed against their direction.
        public var indices: [Int64]

        public init(nodes: [Node], relationships: [UnboundRelationship], indices: [Int64]) {
            self.nodes = nodes
            self.relationships = relationships
            self.indices = indices
        }
    }
}
