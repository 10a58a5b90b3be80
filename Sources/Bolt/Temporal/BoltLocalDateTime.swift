/// A date and a time of day without a time zone: Cypher's `LOCAL DATETIME`, Bolt structure `d` (0x64).
///
/// It is a reading of a wall clock, not an instant; it becomes one only with a zone
/// (``BoltDateTime/init(local:zone:)``).
public struct BoltLocalDateTime: Sendable, Hashable, CustomStringConvertible {
    /// Seconds since 1970-01-01T00:00 of the same wall clock: the wire form.
    public let secondsSinceEpoch: Int64
    private let nanosecondsOfSecond: Int32

    /// The wire form: seconds since 1970-01-01T00:00 (within Neo4j's years) and nanoseconds
    /// (0...999,999,999).
    public init(secondsSinceEpoch: Int64, nanoseconds: Int64) throws(BoltTemporalError) {
        self.secondsSinceEpoch = try BoltTemporalError.checked(
            secondsSinceEpoch,
            in: CivilCalendar.epochSeconds,
            field: "seconds since epoch"
        )
        self.nanosecondsOfSecond = Int32(
            try BoltTemporalError.checked(nanoseconds, in: CivilCalendar.nanosecondsOfSecond, field: "nanoseconds")
        )
    }

    /// The time `time` on `date`.
    public init(date: BoltDate, time: BoltLocalTime) {
        let (seconds, nanoseconds) = CivilCalendar.floorSplit(
            time.nanosecondsSinceMidnight,
            by: CivilCalendar.nanosecondsPerSecond
        )
        self.secondsSinceEpoch = date.daysSinceEpoch * CivilCalendar.secondsPerDay + seconds
        self.nanosecondsOfSecond = Int32(nanoseconds)
    }

    /// Nanoseconds after ``secondsSinceEpoch`` (0...999,999,999).
    public var nanoseconds: Int { Int(self.nanosecondsOfSecond) }

    /// The date part.
    public var date: BoltDate {
        let days = CivilCalendar.floorSplit(self.secondsSinceEpoch, by: CivilCalendar.secondsPerDay).quotient
        // In range: the seconds were checked against the same years.
        return try! BoltDate(daysSinceEpoch: days)
    }

    /// The time-of-day part.
    public var time: BoltLocalTime {
        let second = CivilCalendar.floorSplit(self.secondsSinceEpoch, by: CivilCalendar.secondsPerDay).remainder
        // In range: a second of the day and a nanosecond of the second.
        return try! BoltLocalTime(
            nanosecondsSinceMidnight: second * CivilCalendar.nanosecondsPerSecond + Int64(self.nanosecondsOfSecond)
        )
    }

    /// `2024-05-01T12:34:56.000000789`.
    public var description: String {
        var output = ""
        TemporalText.appendDateTime(
            seconds: self.secondsSinceEpoch,
            nanoseconds: Int64(self.nanosecondsOfSecond),
            to: &output
        )
        return output
    }
}
