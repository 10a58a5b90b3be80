// Literals, typed accessors and initializers that make BoltValue pleasant to build parameters with and to
// read records from.

extension BoltValue: ExpressibleByNilLiteral {
    public init(nilLiteral: ()) {
        self = .null
    }
}

extension BoltValue: ExpressibleByBooleanLiteral {
    public init(booleanLiteral value: Bool) {
        self = .boolean(value)
    }
}

extension BoltValue: ExpressibleByIntegerLiteral {
    public init(integerLiteral value: Int64) {
        self = .integer(value)
    }
}

extension BoltValue: ExpressibleByFloatLiteral {
    public init(floatLiteral value: Double) {
        self = .float(value)
    }
}

extension BoltValue: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension BoltValue: ExpressibleByArrayLiteral {
    public init(arrayLiteral elements: BoltValue...) {
        self = .list(elements)
    }
}

extension BoltValue: ExpressibleByDictionaryLiteral {
    /// A key given twice keeps the last value.
    public init(dictionaryLiteral elements: (String, BoltValue)...) {
        var map = [String: BoltValue](minimumCapacity: elements.count)
        for (key, value) in elements {
            map[key] = value
        }
        self = .map(map)
    }
}

// MARK: - Initializers from Swift values

extension BoltValue {
    public init(_ value: Bool) {
        self = .boolean(value)
    }

    public init(_ value: Int) {
        self = .integer(Int64(value))
    }

    public init(_ value: Int64) {
        self = .integer(value)
    }

    public init(_ value: Int32) {
        self = .integer(Int64(value))
    }

    public init(_ value: Double) {
        self = .float(value)
    }

    public init(_ value: String) {
        self = .string(value)
    }

    public init(_ value: [UInt8]) {
        self = .bytes(value)
    }

    public init(_ value: [BoltValue]) {
        self = .list(value)
    }

    public init(_ value: [String: BoltValue]) {
        self = .map(value)
    }

    public init(_ value: BoltDate) {
        self = .date(value)
    }

    public init(_ value: BoltTime) {
        self = .time(value)
    }

    public init(_ value: BoltLocalTime) {
        self = .localTime(value)
    }

    public init(_ value: BoltDateTime) {
        self = .dateTime(value)
    }

    public init(_ value: BoltLocalDateTime) {
        self = .localDateTime(value)
    }

    public init(_ value: BoltDuration) {
        self = .duration(value)
    }

    public init(_ value: BoltPoint) {
        self = .point(value)
    }

    /// `nil` becomes ``BoltValue/null``.
    public init(_ value: BoltValue?) {
        self = value ?? .null
    }
}

// MARK: - Typed accessors

extension BoltValue {
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    public var boolValue: Bool? {
        if case .boolean(let value) = self { return value }
        return nil
    }

    public var intValue: Int64? {
        if case .integer(let value) = self { return value }
        return nil
    }

    /// The float; `nil` for anything else, an integer included (see ``numericValue`` for either).
    public var doubleValue: Double? {
        if case .float(let value) = self { return value }
        return nil
    }

    /// An integer or a float as a `Double` (integers beyond 2^53 lose precision).
    public var numericValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .float(let value): return value
        default: return nil
        }
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var bytesValue: [UInt8]? {
        if case .bytes(let value) = self { return value }
        return nil
    }

    public var listValue: [BoltValue]? {
        if case .list(let value) = self { return value }
        return nil
    }

    public var mapValue: [String: BoltValue]? {
        if case .map(let value) = self { return value }
        return nil
    }

    public var dateValue: BoltDate? {
        if case .date(let value) = self { return value }
        return nil
    }

    public var timeValue: BoltTime? {
        if case .time(let value) = self { return value }
        return nil
    }

    public var localTimeValue: BoltLocalTime? {
        if case .localTime(let value) = self { return value }
        return nil
    }

    public var dateTimeValue: BoltDateTime? {
        if case .dateTime(let value) = self { return value }
        return nil
    }

    public var localDateTimeValue: BoltLocalDateTime? {
        if case .localDateTime(let value) = self { return value }
        return nil
    }

    public var durationValue: BoltDuration? {
        if case .duration(let value) = self { return value }
        return nil
    }

    public var pointValue: BoltPoint? {
        if case .point(let value) = self { return value }
        return nil
    }

    public var nodeValue: Node? {
        if case .node(let value) = self { return value }
        return nil
    }

    public var relationshipValue: Relationship? {
        if case .relationship(let value) = self { return value }
        return nil
    }

    public var unboundRelationshipValue: UnboundRelationship? {
        if case .unboundRelationship(let value) = self { return value }
        return nil
    }

    public var pathValue: Path? {
        if case .path(let value) = self { return value }
        return nil
    }

    public var structureValue: Structure? {
        if case .structure(let value) = self { return value }
        return nil
    }

    /// The entry of a map; `nil` when the key is missing or this is not a map.
    public subscript(key: String) -> BoltValue? {
        if case .map(let map) = self { return map[key] }
        return nil
    }

    /// The element of a list; `nil` when the index is out of range or this is not a list.
    public subscript(index: Int) -> BoltValue? {
        if case .list(let list) = self, list.indices.contains(index) { return list[index] }
        return nil
    }
}

// MARK: - Paths

extension BoltValue.Path {
    /// One step of a path: a relationship with its real direction, and the nodes the walk goes from and to.
    public struct Segment: Sendable, Hashable {
        /// The node the walk comes from.
        public var start: BoltValue.Node
        /// The relationship, with its own start and end (which are `end` and `start` when the walk goes
        /// against its direction).
        public var relationship: BoltValue.Relationship
        /// The node the walk goes to.
        public var end: BoltValue.Node

        /// Whether the walk follows the relationship's direction (`(start)-[r]->(end)`); `false` for
        /// `(start)<-[r]-(end)`.
        public var isForward: Bool

        public init(start: BoltValue.Node, relationship: BoltValue.Relationship, end: BoltValue.Node, isForward: Bool) {
            self.start = start
            self.relationship = relationship
            self.end = end
            self.isForward = isForward
        }
    }

    /// The node the path starts at (the first of ``nodes``).
    public var start: BoltValue.Node? { self.nodes.first }

    /// The walk the indices describe, or `nil` when they are inconsistent (no nodes, an odd count, an
    /// index out of range, a relationship index of 0).
    public var segments: [Segment]? {
        guard let first = self.nodes.first, self.indices.count % 2 == 0 else { return nil }
        var segments = [Segment]()
        segments.reserveCapacity(self.indices.count / 2)
        var previous = first
        var position = 0
        while position < self.indices.count {
            let relationshipIndex = self.indices[position]
            let nodeIndex = self.indices[position + 1]
            position += 2
            guard nodeIndex >= 0, nodeIndex < Int64(self.nodes.count) else { return nil }
            let next = self.nodes[Int(nodeIndex)]
            let forward = relationshipIndex > 0
            // -Int64.min overflows: compare magnitudes without negating.
            guard relationshipIndex != 0, relationshipIndex != Int64.min else { return nil }
            let magnitude = forward ? relationshipIndex : -relationshipIndex
            guard magnitude <= Int64(self.relationships.count) else { return nil }
            let unbound = self.relationships[Int(magnitude - 1)]
            let (from, to) = forward ? (previous, next) : (next, previous)
            let relationship = BoltValue.Relationship(
                id: unbound.id,
                startNodeID: from.id,
                endNodeID: to.id,
                type: unbound.type,
                properties: unbound.properties,
                elementID: unbound.elementID,
                startNodeElementID: from.elementID,
                endNodeElementID: to.elementID
            )
            segments.append(Segment(start: previous, relationship: relationship, end: next, isForward: forward))
            previous = next
        }
        return segments
    }
}
