/// ISO-8601 text of the temporal types as Neo4j prints them (java.time's ISO formatters): years with at
/// least four digits and a sign beyond 9999, seconds always shown, a fraction only when not zero and without
/// its trailing zeros, offsets as `Z` or `±hh:mm[:ss]`.
enum TemporalText {
    /// `2024-05-01`, `-0001-12-31`, `+10000-01-01`.
    static func appendDate(daysSinceEpoch days: Int64, to output: inout String) {
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: days)
        let magnitude = year.magnitude
        if year < 0 {
            output += "-"
        } else if magnitude > 9999 {
            output += "+"
        }
        appendPadded(magnitude, width: 4, to: &output)
        output += "-"
        appendPadded(month.magnitude, width: 2, to: &output)
        output += "-"
        appendPadded(day.magnitude, width: 2, to: &output)
    }

    /// `12:34:56`, `12:34:56.5`, `00:00:00.000000001`.
    static func appendTime(nanosecondsSinceMidnight nanoseconds: Int64, to output: inout String) {
        let (seconds, fraction) = CivilCalendar.floorSplit(nanoseconds, by: CivilCalendar.nanosecondsPerSecond)
        appendPadded((seconds / 3600).magnitude, width: 2, to: &output)
        output += ":"
        appendPadded((seconds / 60 % 60).magnitude, width: 2, to: &output)
        output += ":"
        appendPadded((seconds % 60).magnitude, width: 2, to: &output)
        appendFraction(nanoseconds: fraction, to: &output)
    }

    /// `2024-05-01T12:34:56.000000789` for seconds since 1970-01-01T00:00 of the same clock.
    static func appendDateTime(seconds: Int64, nanoseconds: Int64, to output: inout String) {
        let (days, secondOfDay) = CivilCalendar.floorSplit(seconds, by: CivilCalendar.secondsPerDay)
        appendDate(daysSinceEpoch: days, to: &output)
        output += "T"
        appendTime(
            nanosecondsSinceMidnight: secondOfDay * CivilCalendar.nanosecondsPerSecond + nanoseconds,
            to: &output
        )
    }

    /// `.000000789`, `.7`; nothing for 0. `nanoseconds` is in 0..<1_000_000_000.
    static func appendFraction(nanoseconds: Int64, to output: inout String) {
        guard nanoseconds != 0 else { return }
        var digits = nanoseconds
        var width = 9
        while digits % 10 == 0 {
            digits /= 10
            width -= 1
        }
        output += "."
        appendPadded(digits.magnitude, width: width, to: &output)
    }

    /// `Z`, `+02:00`, `-09:30`, `+05:45:30`.
    static func appendOffset(seconds: Int64, to output: inout String) {
        guard seconds != 0 else {
            output += "Z"
            return
        }
        let magnitude = seconds.magnitude
        output += seconds < 0 ? "-" : "+"
        appendPadded(magnitude / 3600, width: 2, to: &output)
        output += ":"
        appendPadded(magnitude / 60 % 60, width: 2, to: &output)
        if magnitude % 60 != 0 {
            output += ":"
            appendPadded(magnitude % 60, width: 2, to: &output)
        }
    }

    static func appendPadded(_ value: UInt64, width: Int, to output: inout String) {
        let digits = String(value)
        if digits.count < width {
            output += String(repeating: "0", count: width - digits.count)
        }
        output += digits
    }
}
