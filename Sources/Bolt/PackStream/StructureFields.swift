/// The decoded fields of one structure, read with their types checked: a field of the wrong kind fails with
/// ``PackStreamError/invalidStructure(tag:reason:)`` naming the field, so a server's malformed value is
/// reported, never trapped on. The graph and the temporal shapes are all read through it.
struct StructureFields {
    let tag: UInt8
    private let fields: [BoltValue]

    /// The fields of a structure `name` ("a node") that has one of `counts` fields.
    init(_ fields: [BoltValue], tag: UInt8, name: String, counts: Int...) throws(PackStreamError) {
        self.tag = tag
        self.fields = fields
        guard counts.contains(fields.count) else {
            let allowed = counts.map(String.init).joined(separator: " or ")
            throw self.invalid("\(name) has \(allowed) field\(counts == [1] ? "" : "s"), not \(fields.count)")
        }
    }

    var count: Int { self.fields.count }

    subscript(index: Int) -> BoltValue { self.fields[index] }

    func invalid(_ reason: String) -> PackStreamError {
        .invalidStructure(tag: self.tag, reason: reason)
    }

    func integer(_ index: Int, _ field: String) throws(PackStreamError) -> Int64 {
        guard case .integer(let integer) = self.fields[index] else { throw self.wrongKind(index, field, "an integer") }
        return integer
    }

    func float(_ index: Int, _ field: String) throws(PackStreamError) -> Double {
        guard case .float(let float) = self.fields[index] else { throw self.wrongKind(index, field, "a float") }
        return float
    }

    func string(_ index: Int, _ field: String) throws(PackStreamError) -> String {
        guard case .string(let string) = self.fields[index] else { throw self.wrongKind(index, field, "a string") }
        return string
    }

    func map(_ index: Int, _ field: String) throws(PackStreamError) -> [String: BoltValue] {
        guard case .map(let map) = self.fields[index] else { throw self.wrongKind(index, field, "a map") }
        return map
    }

    /// A list whose every element `element` extracts (nil: the wrong kind, reported as "`field` holds ...").
    func list<Element>(
        _ index: Int,
        _ field: String,
        of element: (BoltValue) -> Element?
    ) throws(PackStreamError) -> [Element] {
        guard case .list(let list) = self.fields[index] else { throw self.wrongKind(index, field, "a list") }
        var elements = [Element]()
        elements.reserveCapacity(list.count)
        for value in list {
            guard let extracted = element(value) else { throw self.invalid("\(field) holds \(Self.kind(value))") }
            elements.append(extracted)
        }
        return elements
    }

    /// A value made by a temporal type's checking initializer; a field it finds out of range fails this
    /// structure with the initializer's reason.
    func make<Value>(_ body: () throws(BoltTemporalError) -> Value) throws(PackStreamError) -> Value {
        do {
            return try body()
        } catch {
            throw self.invalid(error.description)
        }
    }

    private func wrongKind(_ index: Int, _ field: String, _ expected: String) -> PackStreamError {
        self.invalid("\(field) is \(Self.kind(self.fields[index])), not \(expected)")
    }

    /// What a value is, for error messages: "an integer", "a node", "a structure (tag 86)".
    static func kind(_ value: BoltValue) -> String {
        switch value {
        case .null: return "null"
        case .boolean: return "a boolean"
        case .integer: return "an integer"
        case .float: return "a float"
        case .string: return "a string"
        case .bytes: return "bytes"
        case .list: return "a list"
        case .map: return "a map"
        case .date: return "a date"
        case .time: return "a time"
        case .localTime: return "a local time"
        case .dateTime: return "a date-time"
        case .localDateTime: return "a local date-time"
        case .duration: return "a duration"
        case .point: return "a point"
        case .node: return "a node"
        case .relationship: return "a relationship"
        case .unboundRelationship: return "an unbound relationship"
        case .path: return "a path"
        case .structure(let structure): return "a structure (tag \(structure.tag))"
        }
    }
}
