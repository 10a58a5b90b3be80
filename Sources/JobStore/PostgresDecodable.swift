import Foundation

/// A Swift type that can be read from a result column, in text format and, where it matters, binary.
///
/// Non-optional types reject NULL with ``PostgresError/decodingFailed(column:type:reason:)``; decode an `Optional`
/// for nullable columns.
public protocol PostgresDecodable: Sendable {
    /// Reads the value from `cell`.
    static func decode(from cell: PostgresCell) throws(PostgresError) -> Self
}

extension PostgresCell {
    /// The non-NULL text of the cell, or a decoding error naming `type`.
    fileprivate func requireText(_ type: String) throws(PostgresError) -> String {
        guard let text else { throw failure(type, "unexpected NULL") }
        return text
    }

    /// A big-endian binary integer of 2, 4 or 8 bytes.
    fileprivate func binaryInteger(_ type: String) throws(PostgresError) -> Int64 {
        try withBytes { (bytes) throws(PostgresError) -> Int64 in
            guard let bytes else { throw failure(type, "unexpected NULL") }
            var value: UInt64 = 0
            for b in bytes { value = value << 8 | UInt64(b) }
            switch bytes.count {
            case 2: return Int64(Int16(truncatingIfNeeded: value))
            case 4: return Int64(Int32(truncatingIfNeeded: value))
            case 8: return Int64(bitPattern: value)
            default: throw failure(type, "binary integer of \(bytes.count) bytes")
            }
        }
    }
}

extension Optional: PostgresDecodable where Wrapped: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Wrapped? {
        cell.isNull ? nil : try Wrapped.decode(from: cell)
    }
}

extension String: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> String {
        try cell.requireText("String")
    }
}

extension Int64: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int64 {
        if cell.format == .binary { return try cell.binaryInteger("Int64") }
        let text = try cell.requireText("Int64")
        guard let value = Int64(text) else { throw cell.failure("Int64", "not an integer: \(text.prefix(40))") }
        return value
    }
}

extension Int: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int {
        Int(try Int64.decode(from: cell))
    }
}

extension Int32: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Int32 {
        let value = try Int64.decode(from: cell)
        guard let narrow = Int32(exactly: value) else { throw cell.failure("Int32", "\(value) out of range") }
        return narrow
    }
}

extension Bool: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Bool {
        if cell.format == .binary {
            return try cell.withBytes { (bytes) throws(PostgresError) -> Bool in
                guard let bytes, bytes.count == 1 else { throw cell.failure("Bool", "not a binary bool") }
                return bytes[0] != 0
            }
        }
        switch try cell.requireText("Bool") {
        case "t", "true": return true
        case "f", "false": return false
        case let other: throw cell.failure("Bool", "not a boolean: \(other.prefix(10))")
        }
    }
}

extension Double: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Double {
        if cell.format == .binary {
            return try cell.withBytes { (bytes) throws(PostgresError) -> Double in
                guard let bytes else { throw cell.failure("Double", "unexpected NULL") }
                var bits: UInt64 = 0
                for b in bytes { bits = bits << 8 | UInt64(b) }
                switch bytes.count {
                case 8: return Double(bitPattern: bits)
                case 4: return Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
                default: throw cell.failure("Double", "binary float of \(bytes.count) bytes")
                }
            }
        }
        let text = try cell.requireText("Double")
        switch text {
        case "NaN": return .nan
        case "Infinity": return .infinity
        case "-Infinity": return -.infinity
        default:
            guard let value = Double(text) else { throw cell.failure("Double", "not a number: \(text.prefix(40))") }
            return value
        }
    }
}

extension Date: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> Date {
        if cell.format == .binary {
            // Microseconds since 2000-01-01 00:00:00 UTC.
            let micros = try cell.binaryInteger("Date")
            return Date(timeIntervalSince1970: 946_684_800 + Double(micros) / 1e6)
        }
        let text = try cell.requireText("Date")
        guard let date = PostgresTextCodec.parseTimestamp(text) else {
            throw cell.failure("Date", "not an ISO timestamp: \(text.prefix(40))")
        }
        return date
    }
}

/// A `bytea` value's bytes.
extension Array: PostgresDecodable where Element: PostgresArrayDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> [Element] {
        try Element.decodeArray(from: cell)
    }
}

/// Element types of arrays readable from a column: `UInt8` for `bytea`, `Int64`/`String` for `int8[]`/`text[]`.
public protocol PostgresArrayDecodable: Sendable {
    /// Reads the whole column as an array of `Self`.
    static func decodeArray(from cell: PostgresCell) throws(PostgresError) -> [Self]
}

extension UInt8: PostgresArrayDecodable {
    public static func decodeArray(from cell: PostgresCell) throws(PostgresError) -> [UInt8] {
        if cell.format == .binary {
            return try cell.withBytes { (bytes) throws(PostgresError) -> [UInt8] in
                guard let bytes else { throw cell.failure("[UInt8]", "unexpected NULL") }
                return [UInt8](bytes)
            }
        }
        let text = try cell.requireText("[UInt8]")
        guard let bytes = PostgresTextCodec.parseHexBytea(text) else {
            throw cell.failure("[UInt8]", "not a hex bytea")
        }
        return bytes
    }
}

extension Int64: PostgresArrayDecodable {
    public static func decodeArray(from cell: PostgresCell) throws(PostgresError) -> [Int64] {
        guard cell.format == .text else { throw cell.failure("[Int64]", "binary arrays are not supported") }
        let text = try cell.requireText("[Int64]")
        guard let elements = PostgresTextCodec.parseArray(text) else {
            throw cell.failure("[Int64]", "not a one-dimensional array")
        }
        var values: [Int64] = []
        values.reserveCapacity(elements.count)
        for element in elements {
            guard let element, let value = Int64(element) else {
                throw cell.failure("[Int64]", "element is NULL or not an integer")
            }
            values.append(value)
        }
        return values
    }
}

extension String: PostgresArrayDecodable {
    public static func decodeArray(from cell: PostgresCell) throws(PostgresError) -> [String] {
        guard cell.format == .text else { throw cell.failure("[String]", "binary arrays are not supported") }
        let text = try cell.requireText("[String]")
        guard let elements = PostgresTextCodec.parseArray(text) else {
            throw cell.failure("[String]", "not a one-dimensional array")
        }
        var values: [String] = []
        for element in elements {
            guard let element else { throw cell.failure("[String]", "NULL element") }
            values.append(element)
        }
        return values
    }
}

extension PostgresJSON: PostgresDecodable {
    public static func decode(from cell: PostgresCell) throws(PostgresError) -> PostgresJSON {
        if cell.format == .binary, cell.typeOID == PostgresTypeOID.jsonb {
            // Binary jsonb is a version byte (1) followed by the text.
            let text = try cell.requireText("PostgresJSON")
            return PostgresJSON(text: String(text.dropFirst()))
        }
        return PostgresJSON(text: try cell.requireText("PostgresJSON"))
    }
}
