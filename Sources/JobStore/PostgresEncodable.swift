import Foundation

/// A Swift value that can be sent as a statement parameter.
public protocol PostgresEncodable: Sendable {
    /// The parameter as libpq will send it.
    var postgresBind: PostgresBind { get }
}

extension String: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(self, typeOID: PostgresTypeOID.text) }
}

extension Int: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(String(self), typeOID: PostgresTypeOID.int8) }
}

extension Int64: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(String(self), typeOID: PostgresTypeOID.int8) }
}

extension Int32: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(String(self), typeOID: PostgresTypeOID.int4) }
}

extension Bool: PostgresEncodable {
    public var postgresBind: PostgresBind { .text(self ? "t" : "f", typeOID: PostgresTypeOID.bool) }
}

extension Double: PostgresEncodable {
    public var postgresBind: PostgresBind {
        let text: String
        if isNaN {
            text = "NaN"
        } else if isInfinite {
            text = self < 0 ? "-Infinity" : "Infinity"
        } else {
            text = String(self)
        }
        return .text(text, typeOID: PostgresTypeOID.float8)
    }
}

extension Date: PostgresEncodable {
    public var postgresBind: PostgresBind {
        .text(PostgresTextCodec.formatTimestamp(self), typeOID: PostgresTypeOID.timestamptz)
    }
}

extension Array: PostgresEncodable where Element: PostgresArrayElement {
    public var postgresBind: PostgresBind {
        .text(PostgresTextCodec.formatArray(map(\.arrayElementText)), typeOID: Element.arrayTypeOID)
    }
}

extension Optional: PostgresEncodable where Wrapped: PostgresEncodable {
    public var postgresBind: PostgresBind {
        switch self {
        case .none:
            // NULL goes untyped: sluice's statements cast every parameter (`$1::bigint`), so the server knows it.
            return .null()
        case .some(let value): return value.postgresBind
        }
    }
}

/// Elements that can travel inside a text-format array parameter (`{1,2,3}`, `{"a","b"}`).
public protocol PostgresArrayElement: Sendable {
    /// The OID of the array type (`int8[]` is 1016).
    static var arrayTypeOID: UInt32 { get }
    /// The element in array text syntax, `nil` for NULL.
    var arrayElementText: String? { get }
}

extension Int64: PostgresArrayElement {
    public static var arrayTypeOID: UInt32 { PostgresTypeOID.int8Array }
    public var arrayElementText: String? { String(self) }
}

extension Int: PostgresArrayElement {
    public static var arrayTypeOID: UInt32 { PostgresTypeOID.int8Array }
    public var arrayElementText: String? { String(self) }
}

extension String: PostgresArrayElement {
    public static var arrayTypeOID: UInt32 { PostgresTypeOID.textArray }
    public var arrayElementText: String? { self }
}

extension Optional: PostgresArrayElement where Wrapped: PostgresArrayElement {
    public static var arrayTypeOID: UInt32 { Wrapped.arrayTypeOID }
    public var arrayElementText: String? { self?.arrayElementText }
}

/// A JSON document sent as `jsonb` and read from `json`/`jsonb` columns, kept as its text.
public struct PostgresJSON: Sendable, Equatable, PostgresEncodable {
    /// The document's JSON text.
    public var text: String

    public init(text: String) {
        self.text = text
    }

    /// Encodes `value` with `JSONEncoder` (keys sorted, so equal values give equal text).
    public init<T: Encodable>(encoding value: T) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        text = String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Decodes the document with `JSONDecoder`.
    public func decode<T: Decodable>(_ type: T.Type) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(text.utf8))
    }

    public var postgresBind: PostgresBind { .text(text, typeOID: PostgresTypeOID.jsonb) }
}
