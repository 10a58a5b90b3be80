/// The type OIDs sluice sends and reads, from Postgres's `pg_type` catalog (stable across versions).
public enum PostgresTypeOID {
    public static let unspecified: UInt32 = 0
    public static let bool: UInt32 = 16
    public static let bytea: UInt32 = 17
    public static let int8: UInt32 = 20
    public static let int2: UInt32 = 21
    public static let int4: UInt32 = 23
    public static let text: UInt32 = 25
    public static let json: UInt32 = 114
    public static let float4: UInt32 = 700
    public static let float8: UInt32 = 701
    public static let varchar: UInt32 = 1043
    public static let timestamp: UInt32 = 1114
    public static let timestamptz: UInt32 = 1184
    public static let int4Array: UInt32 = 1007
    public static let int8Array: UInt32 = 1016
    public static let textArray: UInt32 = 1009
    public static let jsonb: UInt32 = 3802
}
