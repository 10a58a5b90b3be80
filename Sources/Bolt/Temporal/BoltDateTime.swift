import Foundation

/// An instant with the zone it was recorded in: Cypher's `ZONED DATETIME`, Bolt 5 structures `I` (0x49,
/// with an offset) and `i` (0x69, with a zone id).
///
/// Held as Bolt 5 holds it: seconds since 1970-01-01T00:00Z (UTC) and nanoseconds, so two values are the
/// same instant exactly when their seconds and nanoseconds are equal, whatever their zones. The wall-clock
/// reading (``localDateTime``) is derived from the zone. Bolt 4's structures `F` (0x46) and `f` (0x66)
/// carried the wall-clock seconds instead; the decoder turns them into this form (``init(local:zone:)``).
///
/// Zone ids are resolved with Foundation's `TimeZone` (the ICU time zone database of this machine), which
/// may differ from the server's database for old or future dates; the instant itself never depends on it.
public struct BoltDateTime: Sendable, Hashable, CustomStringConvertible {
    /// Where the instant was recorded: a fixed offset from UTC, or a zone of the time zone database.
    public enum Zone: Sendable, Hashable {
        /// Seconds east of UTC (±18 hours): +02:00 is 7200.
        case offset(seconds: Int)
        /// A zone id of the time zone database, such as `Europe/Berlin` or `UTC`.
        case identifier(String)

        /// UTC as an offset (`Z`).
        public static let utc = Zone.offset(seconds: 0)
    }

    /// Seconds since 1970-01-01T00:00Z.
    public let secondsSinceEpoch: Int64
    private let nanosecondsOfSecond: Int32
    public let zone: Zone

    /// The Bolt 5 wire form: the UTC instant (seconds within Neo4j's years, nanoseconds 0...999,999,999) and
    /// its zone; an offset must be within ±18 hours. A zone id is kept as given, known to this machine or not.
    public init(secondsSinceEpoch: Int64, nanoseconds: Int64, zone: Zone) throws(BoltTemporalError) {
        self.secondsSinceEpoch = try BoltTemporalError.checked(
            secondsSinceEpoch,
            in: CivilCalendar.epochSeconds,
            field: "seconds since epoch"
        )
        self.nanosecondsOfSecond = Int32(
            try BoltTemporalError.checked(nanoseconds, in: CivilCalendar.nanosecondsOfSecond, field: "nanoseconds")
        )
        if case .offset(let seconds) = zone {
            _ = try BoltTemporalError.checked(seconds, in: CivilCalendar.offsetSeconds, field: "offset")
        }
        self.zone = zone
    }

    /// The instant at which the wall clock of `zone` reads `local`, as java.time's `ZonedDateTime.of` finds
    /// it (and as Bolt 4's legacy structures meant it): in an overlap (clocks set back) the earlier instant,
    /// in a gap (clocks set forward) the time moved forward by the gap's length. Throws for a zone id that
    /// this machine does not know.
    public init(local: BoltLocalDateTime, zone: Zone) throws(BoltTemporalError) {
        let offset: Int64
        switch zone {
        case .offset(let seconds):
            offset = try BoltTemporalError.checked(seconds, in: CivilCalendar.offsetSeconds, field: "offset")
        case .identifier(let identifier):
            guard let timeZone = TimeZone(identifier: identifier) else { throw .unknownTimeZone(identifier) }
            offset = Self.offset(of: timeZone, atLocal: local.secondsSinceEpoch)
        }
        try self.init(
            secondsSinceEpoch: local.secondsSinceEpoch - offset,
            nanoseconds: Int64(local.nanoseconds),
            zone: zone
        )
    }

    /// Nanoseconds after ``secondsSinceEpoch`` (0...999,999,999).
    public var nanoseconds: Int { Int(self.nanosecondsOfSecond) }

    /// The zone's offset from UTC at this instant; `nil` for a zone id this machine does not know.
    public var offsetSeconds: Int? {
        switch self.zone {
        case .offset(let seconds):
            return seconds
        case .identifier(let identifier):
            return TimeZone(identifier: identifier).map { Int(Self.offset(of: $0, atUTC: self.secondsSinceEpoch)) }
        }
    }

    /// What a wall clock in the zone reads at this instant; `nil` for a zone id this machine does not know,
    /// and in the hours at the very ends of Neo4j's years where that reading would fall outside them.
    public var localDateTime: BoltLocalDateTime? {
        guard let offset = self.offsetSeconds else { return nil }
        return try? BoltLocalDateTime(
            secondsSinceEpoch: self.secondsSinceEpoch + Int64(offset),
            nanoseconds: Int64(self.nanosecondsOfSecond)
        )
    }

    /// As java.time's `ZonedDateTime` prints it: `2024-05-01T12:34:56.000000789+02:00`,
    /// `2024-05-01T12:34:56+02:00[Europe/Berlin]`, `2024-05-01T10:34:56Z[UTC]`. A zone id this machine does
    /// not know is shown with the UTC time: `2024-05-01T10:34:56Z[Mars/Olympus]`.
    public var description: String {
        var output = ""
        let offset = Int64(self.offsetSeconds ?? 0)
        TemporalText.appendDateTime(
            seconds: self.secondsSinceEpoch + offset,
            nanoseconds: Int64(self.nanosecondsOfSecond),
            to: &output
        )
        TemporalText.appendOffset(seconds: offset, to: &output)
        if case .identifier(let identifier) = self.zone {
            output += "["
            output += identifier
            output += "]"
        }
        return output
    }

    /// Offsets of this machine's zones are whole seconds well within a day, but are clamped anyway so no
    /// arithmetic on them can overflow.
    private static func offset(of timeZone: TimeZone, atUTC seconds: Int64) -> Int64 {
        let offset = Int64(clamping: timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: Double(seconds))))
        return min(max(offset, CivilCalendar.offsetSeconds.lowerBound), CivilCalendar.offsetSeconds.upperBound)
    }

    /// The offset at which `timeZone`'s wall clock reads `local` (seconds since 1970-01-01T00:00 of that
    /// clock). The candidates are the offsets a day either side, which brackets any transition: among those
    /// that read `local`, the largest gives the earlier instant; if none does, `local` is in a gap and the
    /// offset before it (the smaller) moves it forward by the gap's length.
    private static func offset(of timeZone: TimeZone, atLocal local: Int64) -> Int64 {
        let candidates = [
            offset(of: timeZone, atUTC: local - CivilCalendar.secondsPerDay),
            offset(of: timeZone, atUTC: local + CivilCalendar.secondsPerDay),
        ]
        let readingLocal = candidates.filter { offset(of: timeZone, atUTC: local - $0) == $0 }
        return readingLocal.max() ?? candidates.min()!
    }
}

extension Date {
    /// The instant of `dateTime`, to Foundation's precision (a `Double` of seconds since 2001: about 0.1 µs
    /// for present-day dates; the nanoseconds stay in the ``BoltDateTime``).
    public init(_ dateTime: BoltDateTime) {
        self.init(
            timeIntervalSinceReferenceDate: Double(dateTime.secondsSinceEpoch - BoltDateTime.referenceDateSeconds)
                + Double(dateTime.nanoseconds) / Double(CivilCalendar.nanosecondsPerSecond)
        )
    }
}

extension BoltDateTime {
    /// Seconds from 1970-01-01 to Foundation's reference date, 2001-01-01.
    static let referenceDateSeconds: Int64 = 978_307_200

    /// The instant of `date` in `zone`, rounded to the microsecond: a `Date` holds about 0.1 µs for
    /// present-day dates, so finer digits would be noise (`Date(timeIntervalSince1970: 0.123)` becomes
    /// 123,000,000 ns, not 123,000,025). Throws for a date that is not finite or is beyond Neo4j's years.
    public init(_ date: Date, zone: Zone = .utc) throws(BoltTemporalError) {
        let interval = date.timeIntervalSinceReferenceDate
        // NaN fails both comparisons; within them the seconds fit an Int64 with room to spare.
        guard interval >= Double(CivilCalendar.epochSeconds.lowerBound - Self.referenceDateSeconds),
            interval < Double(CivilCalendar.epochSeconds.upperBound - Self.referenceDateSeconds)
        else {
            throw .dateOutOfRange(secondsSince1970: date.timeIntervalSince1970)
        }
        var whole = interval.rounded(.down)
        var microseconds = ((interval - whole) * 1_000_000).rounded()
        if microseconds == 1_000_000 {
            whole += 1
            microseconds = 0
        }
        try self.init(
            secondsSinceEpoch: Int64(whole) + Self.referenceDateSeconds,
            nanoseconds: Int64(microseconds) * 1000,
            zone: zone
        )
    }
}
