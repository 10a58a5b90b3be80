/// One row of a result: values in the order of the result's keys.
public struct BoltRecord: Sendable, Hashable {
    /// The result's field names; every record of a result shares one array.
    public let keys: [String]
    public let values: [BoltValue]

    public init(keys: [String], values: [BoltValue]) {
        self.keys = keys
        self.values = values
    }

    /// The value of a field by name, or nil when the result has no such field.
    public subscript(key: String) -> BoltValue? {
        guard let index = keys.firstIndex(of: key), index < values.count else { return nil }
        return values[index]
    }

    public subscript(index: Int) -> BoltValue { values[index] }
}
