/// An amount of time in calendar units: Cypher's `DURATION`, Bolt structure `E` (0x45).
///
/// Months, days and seconds are separate because their lengths vary (a month is 28 to 31 days, a day 23 to
/// 25 hours across a DST change); as in Neo4j they are never converted into one another. The nanoseconds
/// are kept in 0...999,999,999 with the sign in the seconds (-1 ns is -1 s and 999,999,999 ns), so that
/// equal durations compare equal however they were written; some drivers send -1 ns as 0 s and -1 ns.
public struct BoltDuration: Sendable, Hashable, CustomStringConvertible {
    public let months: Int64
    public let days: Int64
    public let seconds: Int64
    private let nanosecondsOfSecond: Int32

    /// A duration of the given parts; nanoseconds of any size and sign carry into the seconds, which throws
    /// only when the seconds would overflow.
    public init(
        months: Int64 = 0,
        days: Int64 = 0,
        seconds: Int64 = 0,
        nanoseconds: Int64 = 0
    ) throws(BoltTemporalError) {
        let (carry, nanoseconds) = CivilCalendar.floorSplit(nanoseconds, by: CivilCalendar.nanosecondsPerSecond)
        // Seconds that can take the carry without overflowing.
        let acceptable = carry >= 0 ? Int64.min...(Int64.max - carry) : (Int64.min - carry)...Int64.max
        self.months = months
        self.days = days
        self.seconds = try BoltTemporalError.checked(seconds, in: acceptable, field: "seconds") + carry
        self.nanosecondsOfSecond = Int32(nanoseconds)
    }

    /// The seconds and nanoseconds of a Swift `Duration`, its attoseconds cut to whole nanoseconds; throws
    /// only for a duration within a second of `Int64`'s limits.
    public init(_ duration: Duration) throws(BoltTemporalError) {
        let (seconds, attoseconds) = duration.components
        try self.init(seconds: seconds, nanoseconds: attoseconds / 1_000_000_000)
    }

    /// Nanoseconds after ``seconds`` (0...999,999,999).
    public var nanoseconds: Int { Int(self.nanosecondsOfSecond) }

    /// As Neo4j prints it: `P1Y2M3DT4H5M6.7S`, `PT-0.000000001S`, `PT0S`. Months are shown as years and
    /// months, seconds as hours, minutes and seconds, each part with its own sign.
    public var description: String {
        var output = "P"
        Self.append(self.months / 12, unit: "Y", to: &output)
        Self.append(self.months % 12, unit: "M", to: &output)
        Self.append(self.days, unit: "D", to: &output)
        var seconds = self.seconds
        var nanoseconds = Int64(self.nanosecondsOfSecond)
        if seconds != 0 || nanoseconds != 0 {
            // A negative amount is shown as negative seconds and fraction: -1 s + 0.5 s is -0.5 s.
            if seconds < 0 && nanoseconds != 0 {
                seconds += 1
                nanoseconds -= CivilCalendar.nanosecondsPerSecond
            }
            output += "T"
            Self.append(seconds / 3600, unit: "H", to: &output)
            Self.append(seconds / 60 % 60, unit: "M", to: &output)
            let rest = seconds % 60
            if rest != 0 || nanoseconds != 0 {
                if rest == 0 && nanoseconds < 0 {
                    output += "-"
                }
                output += String(rest)
                TemporalText.appendFraction(nanoseconds: Int64(nanoseconds.magnitude), to: &output)
                output += "S"
            }
        }
        if output == "P" {
            output += "T0S"
        }
        return output
    }

    private static func append(_ quantity: Int64, unit: Character, to output: inout String) {
        if quantity != 0 {
            output += String(quantity)
            output.append(unit)
        }
    }
}
