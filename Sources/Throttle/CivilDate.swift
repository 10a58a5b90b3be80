/// A local date as days since 1970-01-01: plain arithmetic, so the days a window starts on are found without a
/// Calendar and its matching policies for times that a daylight-saving change skips or repeats.
struct CivilDate: Sendable, Hashable, Comparable {
    let daysSinceEpoch: Int64

    init(daysSinceEpoch: Int64) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    /// The local date of a wall-clock reading given as seconds since 1970-01-01T00:00 local.
    init(wallSeconds: Int64) {
        daysSinceEpoch = wallSeconds >= 0 ? wallSeconds / 86_400 : (wallSeconds - 86_399) / 86_400
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
