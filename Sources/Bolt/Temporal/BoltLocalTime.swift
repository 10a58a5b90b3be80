/// A time of day without a date or a time zone: Cypher's `LOCAL TIME`, Bolt structure `t` (0x74).
public struct BoltLocalTime: Sendable, Hashable, CustomStringConvertible {
    /// Nanoseconds since midnight, 0 up to one day less a nanosecond: the wire form.
    public let nanosecondsSinceMidnight: Int64

    public init(nanosecondsSinceMidnight: Int64) throws(BoltTemporalError) {
        self.nanosecondsSinceMidnight = try BoltTemporalError.checked(
            nanosecondsSinceMidnight,
            in: CivilCalendar.nanosecondsOfDay,
            field: "nanoseconds since midnight"
        )
    }

    /// The time `hour` (0...23), `minute` (0...59), `second` (0...59) and `nanosecond` (0...999,999,999);
    /// no leap seconds, as in Neo4j.
    public init(hour: Int, minute: Int, second: Int, nanosecond: Int = 0) throws(BoltTemporalError) {
        let hour = try BoltTemporalError.checked(hour, in: 0...23, field: "hour")
        let minute = try BoltTemporalError.checked(minute, in: 0...59, field: "minute")
        let second = try BoltTemporalError.checked(second, in: 0...59, field: "second")
        let nanosecond = try BoltTemporalError.checked(
            nanosecond,
            in: CivilCalendar.nanosecondsOfSecond,
            field: "nanosecond"
        )
        self.nanosecondsSinceMidnight =
            (hour * 3600 + minute * 60 + second) * CivilCalendar.nanosecondsPerSecond + nanosecond
    }

    public var hour: Int { Int(self.nanosecondsSinceMidnight / (3600 * CivilCalendar.nanosecondsPerSecond)) }
    public var minute: Int { Int(self.nanosecondsSinceMidnight / (60 * CivilCalendar.nanosecondsPerSecond) % 60) }
    public var second: Int { Int(self.nanosecondsSinceMidnight / CivilCalendar.nanosecondsPerSecond % 60) }
    public var nanosecond: Int { Int(self.nanosecondsSinceMidnight % CivilCalendar.nanosecondsPerSecond) }

    /// `12:34:56`, `12:34:56.000000789`.
    public var description: String {
        var output = ""
        TemporalText.appendTime(nanosecondsSinceMidnight: self.nanosecondsSinceMidnight, to: &output)
        return output
    }
}
