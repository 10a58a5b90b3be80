/// One statement parameter, as libpq's `PQexecParams` takes it: a type OID, a format and bytes (or NULL).
///
/// Values only ever reach the server this way, never spliced into SQL text, so no quoting bug can turn data into
/// code.
public struct PostgresBind: Sendable, Equatable {
    enum Storage: Sendable, Equatable {
        case null
        case text(String)
        case binary([UInt8])
    }

    let storage: Storage
    /// The parameter's type; `0` lets the server infer it from the statement.
    public let typeOID: UInt32

    /// SQL NULL of the given type.
    public static func null(typeOID: UInt32 = PostgresTypeOID.unspecified) -> PostgresBind {
        PostgresBind(storage: .null, typeOID: typeOID)
    }

    /// A value in Postgres's text input syntax for `typeOID`.
    public static func text(_ value: String, typeOID: UInt32) -> PostgresBind {
        PostgresBind(storage: .text(value), typeOID: typeOID)
    }

    /// A `bytea` sent as raw bytes (binary format): no hex doubling, no escaping.
    public static func bytea(_ bytes: [UInt8]) -> PostgresBind {
        PostgresBind(storage: .binary(bytes), typeOID: PostgresTypeOID.bytea)
    }

    var format: PostgresFormat {
        if case .binary = storage { return .binary }
        return .text
    }
}

extension PostgresBind: PostgresEncodable {
    public var postgresBind: PostgresBind { self }
}
