/// Why a temporal value cannot be made: a field outside the range Neo4j supports, a day that is not in the
/// calendar, a zone this machine does not know where its offset is needed.
///
/// The decoder reports these as ``PackStreamError/invalidStructure(tag:reason:)`` with this description as
/// the reason, so a server's out-of-range value fails its result with the field named instead of trapping.
public enum BoltTemporalError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A field outside the range that java.time, and so Neo4j, allows (years ±999,999,999, offsets ±18 hours,
    /// nanoseconds below one second); for a duration, seconds that overflow when nanoseconds carry into them.
    case outOfRange(field: String, value: Int64, range: ClosedRange<Int64>)
    /// A year, month and day that are not a day of the proleptic Gregorian calendar (2023-02-29).
    case invalidDate(year: Int, month: Int, day: Int)
    /// A zone id that this machine's time zone database does not know, where its offset was needed.
    case unknownTimeZone(String)
    /// A Foundation `Date` that is not finite or lies outside years ±999,999,999.
    case dateOutOfRange(secondsSince1970: Double)

    public var description: String {
        switch self {
        case .outOfRange(let field, let value, let range):
            return "\(field) \(value) is outside \(range.lowerBound)...\(range.upperBound)"
        case .invalidDate(let year, let month, let day):
            return "\(year)-\(month)-\(day) is not a day of the Gregorian calendar"
        case .unknownTimeZone(let identifier):
            return "time zone \"\(identifier)\" is not in this machine's time zone database"
        case .dateOutOfRange(let seconds):
            return "Foundation date \(seconds) s since 1970 is outside years ±999,999,999"
        }
    }

    /// `value` when `range` holds it; the error naming `field` otherwise. The one range check every temporal
    /// type uses.
    static func checked<Value: BinaryInteger>(
        _ value: Value,
        in range: ClosedRange<Int64>,
        field: String
    ) throws(BoltTemporalError) -> Int64 {
        guard let exact = Int64(exactly: value), range.contains(exact) else {
            throw .outOfRange(field: field, value: Int64(clamping: value), range: range)
        }
        return exact
    }
}
