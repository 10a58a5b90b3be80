/// The proleptic Gregorian calendar and the ranges of java.time, which Neo4j uses: days since 1970-01-01
/// to year, month and day and back, without a time zone database and without Foundation's `Calendar`
/// (whose Gregorian calendar switches to Julian before 1582).
///
/// Every value the Bolt types hold is checked against these ranges when it is made, so the arithmetic
/// here and in the text rendering never comes near `Int64`'s limits.
enum CivilCalendar {
    static let secondsPerDay: Int64 = 86_400
    static let nanosecondsPerSecond: Int64 = 1_000_000_000
    static let nanosecondsPerDay: Int64 = 86_400 * 1_000_000_000

    /// The years of java.time's `LocalDate`, as Neo4j accepts them.
    static let years: ClosedRange<Int64> = -999_999_999...999_999_999
    /// Days since 1970-01-01 of the first and the last day of ``years``.
    static let epochDays: ClosedRange<Int64> =
        daysSinceEpoch(
            year: years.lowerBound,
            month: 1,
            day: 1
        )...daysSinceEpoch(year: years.upperBound, month: 12, day: 31)
    /// Seconds since 1970-01-01T00:00 of the first and the last second of ``years``.
    static let epochSeconds: ClosedRange<Int64> =
        epochDays.lowerBound * secondsPerDay...(epochDays.upperBound * secondsPerDay + secondsPerDay - 1)
    /// Offsets from UTC that java.time's `ZoneOffset` allows: ±18 hours.
    static let offsetSeconds: ClosedRange<Int64> = -64_800...64_800
    static let nanosecondsOfSecond: ClosedRange<Int64> = 0...(nanosecondsPerSecond - 1)
    static let nanosecondsOfDay: ClosedRange<Int64> = 0...(nanosecondsPerDay - 1)

    /// Days since 1970-01-01 of a civil date (month 1...12, day 1...31, not checked here).
    ///
    /// Howard Hinnant's `days_from_civil`: years are counted from March, so the leap day ends a year.
    static func daysSinceEpoch(year: Int64, month: Int64, day: Int64) -> Int64 {
        let marchYear = month <= 2 ? year - 1 : year
        let era = (marchYear >= 0 ? marchYear : marchYear - 399) / 400
        let yearOfEra = marchYear - era * 400  // 0...399
        let monthFromMarch = (month + 9) % 12  // March 0 ... February 11
        let dayOfYear = (153 * monthFromMarch + 2) / 5 + day - 1  // 0...365
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear  // 0...146_096
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day since 1970-01-01 (Howard Hinnant's `civil_from_days`).
    static func date(daysSinceEpoch days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let shifted = days + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthFromMarch + 2) / 5 + 1
        let month = monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }

    static func isLeapYear(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    static func daysInMonth(year: Int64, month: Int64) -> Int64 {
        switch month {
        case 2: return isLeapYear(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// `value` split into a quotient rounded towards minus infinity and a remainder in `0..<divisor`
    /// (`divisor` > 0): -1 second and 1 nanosecond before the epoch is (-1, 999_999_999), not (0, -1).
    static func floorSplit(_ value: Int64, by divisor: Int64) -> (quotient: Int64, remainder: Int64) {
        let remainder = value % divisor
        return remainder < 0 ? (value / divisor - 1, remainder + divisor) : (value / divisor, remainder)
    }
}
