import CLibPQ

/// The rows a statement returned, read in place from libpq's result (no copy until a value is decoded).
///
/// A `PGresult` is immutable and independent of its connection once returned, so rows may be passed between tasks;
/// the result is freed when the last reference goes away.
public final class PostgresRows: @unchecked Sendable {
    let result: OpaquePointer
    /// Number of rows.
    public let count: Int
    /// Column names, in order.
    public let columns: [String]
    /// Rows changed by an INSERT/UPDATE/DELETE (libpq's `PQcmdTuples`), 0 for other statements.
    public let affectedRows: Int
    /// The statement's summary, for error messages about its columns.
    let query: String
    private let columnIndex: [String: Int]

    init(result: OpaquePointer, query: String) {
        self.result = result
        self.query = query
        count = Int(PQntuples(result))
        let n = Int(PQnfields(result))
        var names: [String] = []
        var index: [String: Int] = [:]
        for i in 0..<n {
            let name = String(cString: PQfname(result, Int32(i)))
            names.append(name)
            if index[name] == nil { index[name] = i }
        }
        columns = names
        columnIndex = index
        affectedRows = Int(String(cString: PQcmdTuples(result))) ?? 0
    }

    deinit {
        PQclear(result)
    }

    /// The index of the column named `name`, or `nil`.
    public func column(named name: String) -> Int? {
        columnIndex[name]
    }
}

extension PostgresRows: RandomAccessCollection {
    public var startIndex: Int { 0 }
    public var endIndex: Int { count }
    public subscript(position: Int) -> PostgresRow {
        precondition(position >= 0 && position < count, "row \(position) out of range 0..<\(count)")
        return PostgresRow(rows: self, index: position)
    }
}

/// One row of ``PostgresRows``; decode its columns by name or position.
public struct PostgresRow: Sendable {
    let rows: PostgresRows
    /// The row's position in its result.
    public let index: Int

    /// The cell in the column named `column`.
    public subscript(column: String) -> PostgresCell {
        get throws(PostgresError) {
            guard let c = rows.column(named: column) else {
                throw .decodingFailed(column: column, type: "-", reason: "no such column in \(rows.query)")
            }
            return PostgresCell(rows: rows, row: index, column: c)
        }
    }

    /// The cell at position `column`.
    public subscript(column: Int) -> PostgresCell {
        PostgresCell(rows: rows, row: index, column: column)
    }

    /// Decodes the column named `column` as `T` (use an Optional `T` for nullable columns).
    public func decode<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws(PostgresError) -> T {
        try T.decode(from: try self[column])
    }

    /// Decodes the column at position `column` as `T`.
    public func decode<T: PostgresDecodable>(_ column: Int, as type: T.Type = T.self) throws(PostgresError) -> T {
        try T.decode(from: self[column])
    }
}

/// One value of a row: its bytes as libpq holds them, with the column's type and format.
public struct PostgresCell: Sendable {
    let rows: PostgresRows
    let row: Int
    let column: Int

    /// The column's name.
    public var name: String { rows.columns[column] }
    /// The column's type OID (see ``PostgresTypeOID``).
    public var typeOID: UInt32 { UInt32(PQftype(rows.result, Int32(column))) }
    /// Whether the value arrived as text or binary.
    public var format: PostgresFormat {
        PQfformat(rows.result, Int32(column)) == 1 ? .binary : .text
    }
    /// True for SQL NULL.
    public var isNull: Bool { PQgetisnull(rows.result, Int32(row), Int32(column)) == 1 }

    /// The raw bytes, valid only inside `body` (the result owns them).
    public func withBytes<R>(_ body: (UnsafeRawBufferPointer?) throws(PostgresError) -> R) throws(PostgresError) -> R {
        if isNull { return try body(nil) }
        let length = Int(PQgetlength(rows.result, Int32(row), Int32(column)))
        let pointer = PQgetvalue(rows.result, Int32(row), Int32(column))
        return try body(UnsafeRawBufferPointer(start: pointer, count: length))
    }

    /// The value as text (the text-format bytes, or a binary value's bytes read as UTF-8); `nil` for NULL.
    public var text: String? {
        guard !isNull, let pointer = PQgetvalue(rows.result, Int32(row), Int32(column)) else { return nil }
        let length = Int(PQgetlength(rows.result, Int32(row), Int32(column)))
        return String(decoding: UnsafeRawBufferPointer(start: pointer, count: length), as: UTF8.self)
    }

    func failure(_ type: String, _ reason: String) -> PostgresError {
        .decodingFailed(column: name, type: type, reason: reason)
    }
}
