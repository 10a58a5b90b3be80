/// A parsed configuration file: tables of keys, each key with its value and line.
public struct TOMLDocument: Sendable, Equatable {
    /// Keys above the first table header are in the table named `""`.
    public var tables: [String: [String: TOMLEntry]]
    /// The line of each table's header.
    public var tableLines: [String: Int]

    public init(tables: [String: [String: TOMLEntry]] = [:], tableLines: [String: Int] = [:]) {
        self.tables = tables
        self.tableLines = tableLines
    }

    /// Parses `text` (see ``TOMLParser`` for the subset understood).
    public init(parsing text: String) throws(TOMLError) {
        var parser = TOMLParser(text)
        self = try parser.parse()
    }

    public func entry(_ table: String, _ key: String) -> TOMLEntry? {
        tables[table]?[key]
    }
}
