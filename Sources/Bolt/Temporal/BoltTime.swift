/// A time of day with an offset from UTC but no date: Cypher's `ZONED TIME`, Bolt structure `T` (0x54).
///
/// Without a date there is no zone id, only a fixed offset (a zone's offset depends on the date).
public struct BoltTime: Sendable, Hashable, CustomStringConvertible {
    /// The wall-clock time at ``offsetSeconds`` (not UTC).
    public let localTime: BoltLocalTime
    private let offset: Int32

    /// The time `localTime` at `offsetSeconds` from UTC (±18 hours, as java.time allows).
    public init(localTime: BoltLocalTime, offsetSeconds: Int) throws(BoltTemporalError) {
        self.localTime = localTime
        self.offset = Int32(
            try BoltTemporalError.checked(offsetSeconds, in: CivilCalendar.offsetSeconds, field: "offset")
        )
    }

    /// The wire form: nanoseconds since midnight (local, not UTC) and the offset.
    public init(nanosecondsSinceMidnight: Int64, offsetSeconds: Int) throws(BoltTemporalError) {
        try self.init(
            localTime: BoltLocalTime(nanosecondsSinceMidnight: nanosecondsSinceMidnight),
            offsetSeconds: offsetSeconds
        )
    }

    /// Seconds east of UTC: +02:00 is 7200.
    public var offsetSeconds: Int { Int(self.offset) }

    /// `12:34:56.000000789+02:00`, `08:00:00Z`.
    public var description: String {
        var output = self.localTime.description
        TemporalText.appendOffset(seconds: Int64(self.offset), to: &output)
        return output
    }
}
