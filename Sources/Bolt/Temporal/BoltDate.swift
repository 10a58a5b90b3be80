/// A calendar date without a time zone: Cypher's `DATE`, Bolt structure `D` (0x44).
///
/// Held as the wire holds it, days since 1970-01-01; the year, month and day are those of the proleptic
/// Gregorian calendar, as in Neo4j (Foundation's Gregorian calendar would switch to Julian dates before
/// 1582 and disagree with the server). Years run from -999,999,999 to 999,999,999, Neo4j's range.
public struct BoltDate: Sendable, Hashable, CustomStringConvertible {
    /// Days since 1970-01-01 (negative before).
    public let daysSinceEpoch: Int64

    /// The date `daysSinceEpoch` days after 1970-01-01; throws when it is outside Neo4j's years.
    public init(daysSinceEpoch: Int64) throws(BoltTemporalError) {
        self.daysSinceEpoch = try BoltTemporalError.checked(
            daysSinceEpoch,
            in: CivilCalendar.epochDays,
            field: "days since epoch"
        )
    }

    /// The date of a year (-999,999,999...999,999,999), month (1...12) and day of the proleptic Gregorian
    /// calendar; throws for a day the month does not have (2023-02-29).
    public init(year: Int, month: Int, day: Int) throws(BoltTemporalError) {
        let year = try BoltTemporalError.checked(year, in: CivilCalendar.years, field: "year")
        let month = try BoltTemporalError.checked(month, in: 1...12, field: "month")
        guard (1...CivilCalendar.daysInMonth(year: year, month: month)).contains(Int64(day)) else {
            throw .invalidDate(year: Int(year), month: Int(month), day: day)
        }
        self.daysSinceEpoch = CivilCalendar.daysSinceEpoch(year: year, month: month, day: Int64(day))
    }

    /// The year, month (1...12) and day (1...31).
    public var components: (year: Int, month: Int, day: Int) {
        let (year, month, day) = CivilCalendar.date(daysSinceEpoch: self.daysSinceEpoch)
        return (Int(year), Int(month), Int(day))
    }

    public var year: Int { self.components.year }
    public var month: Int { self.components.month }
    public var day: Int { self.components.day }

    /// `2024-05-01`; `-0001-01-01` and `+10000-01-01` beyond four digits.
    public var description: String {
        var output = ""
        TemporalText.appendDate(daysSinceEpoch: self.daysSinceEpoch, to: &output)
        return output
    }
}
