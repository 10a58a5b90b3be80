/// A job's primary key in the job table.
public struct JobID: RawRepresentable, Hashable, Comparable, Sendable, CustomStringConvertible,
    ExpressibleByIntegerLiteral, Codable
{
    public let rawValue: Int64

    public init(rawValue: Int64) {
        self.rawValue = rawValue
    }

    public init(integerLiteral value: Int64) {
        self.rawValue = value
    }

    /// Parses a job id as typed on the command line or sent as a NOTIFY payload.
    public init?(_ text: String) {
        guard let value = Int64(text), value > 0 else { return nil }
        self.rawValue = value
    }

    public var description: String { String(rawValue) }

    public static func < (lhs: JobID, rhs: JobID) -> Bool { lhs.rawValue < rhs.rawValue }

    public init(from decoder: any Decoder) throws {
        rawValue = try decoder.singleValueContainer().decode(Int64.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

extension JobID: PostgresEncodable {
    public var postgresBind: PostgresBind { rawValue.postgresBind }
}
