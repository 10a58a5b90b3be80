/// A date on the proleptic Gregorian calendar, converted to and from days since 1970-01-01 by Howard Hinnant's
/// algorithms: plain arithmetic, so local dates in any zone are computed without a Calendar's matching policies.
struct CivilDate: Sendable, Hashable, Comparable {
    let daysSinceEpoch: Int64

    init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    init(year: Int64, month: Int64, day: Int64) {
        let shiftedYear = month <= 2 ? year - 1 : year
        let era = (shiftedYear >= 0 ? shiftedYear : shiftedYear - 399) / 400
        let yearOfEra = shiftedYear - era * 400
        let dayOfYear = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        daysSinceEpoch = era * 146_097 + dayOfEra - 719_468
    }

    /// The local date of a wall-clock reading given as seconds since 1970-01-01T00:00 local.
    init(wallSeconds: Int64) {
        daysSinceEpoch = wallSeconds >= 0 ? wallSeconds / 86_400 : (wallSeconds - 86_399) / 86_400
    }

    var components: (year: Int64, month: Int64, day: Int64) {
        let shifted = daysSinceEpoch + 719_468
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * shiftedMonth + 2) / 5 + 1
        let month = shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// 1970-01-01 was a Thursday.
    var weekday: Weekday {
        let fromMonday = ((daysSinceEpoch % 7) + 7 + 3) % 7
        return Weekday(rawValue: Int(fromMonday) + 1)!
    }

    /// Seconds since 1970-01-01T00:00 local at `time` on this date (24:00 is the next midnight).
    func wallSeconds(at time: TimeOfDay) -> Int64 {
        daysSinceEpoch * 86_400 + Int64(time.minutes) * 60
    }

    func adding(days: Int64) -> CivilDate {
        CivilDate(daysSinceEpoch: daysSinceEpoch + days)
    }

    static func < (lhs: CivilDate, rhs: CivilDate) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }
}
