import Bolt
import Foundation
import Testing

/// The temporal types themselves: the proleptic Gregorian calendar, ranges, Foundation conversions, zones,
/// and the ISO-8601 text Neo4j prints.
@Suite("Bolt temporal values")
struct BoltTemporalValueTests {
    // MARK: Calendar

    @Test(
        "civil dates and days since the epoch",
        arguments: [
            (1970, 1, 1, 0), (1970, 1, 2, 1), (1969, 12, 31, -1), (2024, 5, 1, 19_844), (2000, 2, 29, 11_016),
            (2000, 3, 1, 11_017), (1900, 3, 1, -25_508), (1, 1, 1, -719_162), (0, 12, 31, -719_163),
            (0, 2, 29, -719_469),
            (-1, 1, 1, -719_893), (1582, 10, 4, -141_438), (1582, 10, 15, -141_427), (9999, 12, 31, 2_932_896),
        ] as [(Int, Int, Int, Int64)]
    )
    func civilDates(year: Int, month: Int, day: Int, days: Int64) throws {
        let date = try BoltDate(year: year, month: month, day: day)
        #expect(date.daysSinceEpoch == days)
        #expect(date.components == (year, month, day))
        #expect(try BoltDate(daysSinceEpoch: days) == date)
    }

    @Test("every day of 800 years (two Gregorian cycles, both sides of the epoch) converts both ways")
    func everyDay() throws {
        var date = (year: 1600, month: 1, day: 1)
        var days = try BoltDate(year: 1600, month: 1, day: 1).daysSinceEpoch
        while date.year < 2400 {
            let bolt = try BoltDate(daysSinceEpoch: days)
            guard bolt.components == date else {
                Issue.record("day \(days) is \(bolt.components), expected \(date)")
                return
            }
            days += 1
            date.day += 1
            if (try? BoltDate(year: date.year, month: date.month, day: date.day)) == nil {
                date.day = 1
                date.month += 1
                if date.month > 12 {
                    date.month = 1
                    date.year += 1
                }
            }
        }
    }

    @Test("leap days exist only in leap years of the Gregorian rule")
    func leapDays() throws {
        for year in [2024, 2000, 1600, 0, -4, -400] {
            #expect(try BoltDate(year: year, month: 2, day: 29).components == (year, 2, 29))
        }
        for year in [2023, 1900, 2100, 1700, -1, -100] {
            #expect(throws: BoltTemporalError.invalidDate(year: year, month: 2, day: 29)) {
                try BoltDate(year: year, month: 2, day: 29)
            }
        }
        #expect(throws: BoltTemporalError.invalidDate(year: 2024, month: 4, day: 31)) {
            try BoltDate(year: 2024, month: 4, day: 31)
        }
        #expect(throws: BoltTemporalError.invalidDate(year: 2024, month: 1, day: 0)) {
            try BoltDate(year: 2024, month: 1, day: 0)
        }
        #expect(throws: BoltTemporalError.outOfRange(field: "month", value: 13, range: 1...12)) {
            try BoltDate(year: 2024, month: 13, day: 1)
        }
        #expect(
            throws: BoltTemporalError.outOfRange(field: "year", value: 1_000_000_000, range: -999_999_999...999_999_999)
        ) {
            try BoltDate(year: 1_000_000_000, month: 1, day: 1)
        }
    }

    @Test("times of day: components and their ranges")
    func timesOfDay() throws {
        let time = try BoltLocalTime(hour: 12, minute: 34, second: 56, nanosecond: 789)
        #expect(time.nanosecondsSinceMidnight == 45_296_000_000_789)
        #expect([time.hour, time.minute, time.second, time.nanosecond] == [12, 34, 56, 789] as [Int])
        #expect(throws: BoltTemporalError.outOfRange(field: "hour", value: 24, range: 0...23)) {
            try BoltLocalTime(hour: 24, minute: 0, second: 0)
        }
        #expect(throws: BoltTemporalError.outOfRange(field: "second", value: 60, range: 0...59)) {
            try BoltLocalTime(hour: 23, minute: 59, second: 60)
        }
        #expect(throws: BoltTemporalError.outOfRange(field: "nanosecond", value: -1, range: 0...999_999_999)) {
            try BoltLocalTime(hour: 0, minute: 0, second: 0, nanosecond: -1)
        }
        let zoned = try BoltTime(localTime: time, offsetSeconds: -(9 * 3600 + 30 * 60))
        #expect(zoned.offsetSeconds == -34_200 && zoned.localTime == time)
        #expect(throws: BoltTemporalError.outOfRange(field: "offset", value: 64_801, range: -64_800...64_800)) {
            try BoltTime(localTime: time, offsetSeconds: 64_801)
        }
    }

    @Test("a local date-time is a date and a time of day, before the epoch too")
    func localDateTimes() throws {
        let date = try BoltDate(year: 1969, month: 12, day: 31)
        let time = try BoltLocalTime(hour: 23, minute: 59, second: 59, nanosecond: 500_000_000)
        let local = BoltLocalDateTime(date: date, time: time)
        #expect(local.secondsSinceEpoch == -1 && local.nanoseconds == 500_000_000)
        #expect(local.date == date && local.time == time)
        #expect(local.description == "1969-12-31T23:59:59.5")
        let leapDay = BoltLocalDateTime(
            date: try BoltDate(year: 2024, month: 2, day: 29),
            time: try BoltLocalTime(hour: 0, minute: 0, second: 0)
        )
        #expect(leapDay.secondsSinceEpoch == 1_709_164_800)
    }

    // MARK: Foundation and zones

    @Test(
        "Foundation dates convert to the microsecond, before the epoch too",
        arguments: [
            (0, 0, 0), (-0.5, -1, 500_000_000), (0.123, 0, 123_000_000), (-1e-6, -1, 999_999_000),
            (1_714_559_696.123456, 1_714_559_696, 123_456_000), (-2_208_988_800, -2_208_988_800, 0),
            (951_825_600.25, 951_825_600, 250_000_000),  // 2000-02-29T12:00:00.25Z
            (-62_135_596_800, -62_135_596_800, 0),  // 0001-01-01T00:00:00Z
        ] as [(Double, Int64, Int)]
    )
    func foundationDates(secondsSince1970: Double, seconds: Int64, nanoseconds: Int) throws {
        let date = Date(timeIntervalSince1970: secondsSince1970)
        let dateTime = try BoltDateTime(date)
        #expect(dateTime.secondsSinceEpoch == seconds && dateTime.nanoseconds == nanoseconds)
        #expect(dateTime.zone == .utc)
        #expect(abs(Date(dateTime).timeIntervalSince(date)) < 1e-6)
    }

    @Test("a Date keeps what it can of the nanoseconds; the Bolt value keeps them all")
    func nanoseconds() throws {
        let precise = try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 123_456_789, zone: .utc)
        let date = Date(precise)
        #expect(abs(date.timeIntervalSince1970 - 1_714_559_696.123456789) < 1e-6)
        let back = try BoltDateTime(date, zone: .utc)
        #expect(back.secondsSinceEpoch == precise.secondsSinceEpoch && back.nanoseconds == 123_457_000)
        #expect(precise.nanoseconds == 123_456_789)
    }

    @Test("Foundation dates Neo4j cannot hold are refused")
    func unrepresentableDates() {
        for interval in [Double.nan, .infinity, -.infinity, 1e300, -1e17] {
            #expect(throws: BoltTemporalError.self) { try BoltDateTime(Date(timeIntervalSinceReferenceDate: interval)) }
        }
    }

    @Test("offsets of zone ids come from the time zone database at the instant")
    func zoneOffsets() throws {
        let berlin = BoltDateTime.Zone.identifier("Europe/Berlin")
        let summer = try BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 0, zone: berlin)
        let winter = try BoltDateTime(secondsSinceEpoch: 1_704_067_200, nanoseconds: 0, zone: berlin)
        #expect(summer.offsetSeconds == 7200 && winter.offsetSeconds == 3600)
        #expect(summer.localDateTime?.description == "2024-05-01T12:34:56")
        #expect(winter.description == "2024-01-01T01:00:00+01:00[Europe/Berlin]")
        let unknown = try BoltDateTime(secondsSinceEpoch: 0, nanoseconds: 0, zone: .identifier("Mars/Base"))
        #expect(unknown.offsetSeconds == nil && unknown.localDateTime == nil)
        #expect(unknown.description == "1970-01-01T00:00:00Z[Mars/Base]")
    }

    @Test("a wall-clock time in a zone is placed as java.time places it, across DST changes")
    func wallClockInZone() throws {
        func local(_ month: Int, _ day: Int, _ hour: Int, _ minute: Int) throws -> BoltLocalDateTime {
            BoltLocalDateTime(
                date: try BoltDate(year: 2024, month: month, day: day),
                time: try BoltLocalTime(hour: hour, minute: minute, second: 0)
            )
        }
        let berlin = BoltDateTime.Zone.identifier("Europe/Berlin")
        // An ordinary time.
        #expect(
            try BoltDateTime(local: local(5, 1, 12, 34), zone: berlin).description
                == "2024-05-01T12:34:00+02:00[Europe/Berlin]"
        )
        // 02:30 on 31 March does not exist (02:00 jumps to 03:00): moved forward by the gap.
        #expect(
            try BoltDateTime(local: local(3, 31, 2, 30), zone: berlin).description
                == "2024-03-31T03:30:00+02:00[Europe/Berlin]"
        )
        // 02:30 on 27 October happens twice: the earlier, still at +02:00.
        let overlap = try BoltDateTime(local: local(10, 27, 2, 30), zone: berlin)
        #expect(overlap.description == "2024-10-27T02:30:00+02:00[Europe/Berlin]")
        #expect(overlap.secondsSinceEpoch == 1_729_989_000)
        // An offset needs no database.
        let fixed = try BoltDateTime(local: local(5, 1, 12, 34), zone: .offset(seconds: -3600))
        #expect(fixed.secondsSinceEpoch == 1_714_570_440 && fixed.description == "2024-05-01T12:34:00-01:00")
        #expect(throws: BoltTemporalError.unknownTimeZone("Mars/Base")) {
            try BoltDateTime(local: local(5, 1, 12, 34), zone: .identifier("Mars/Base"))
        }
    }

    // MARK: Durations

    @Test(
        "durations as Neo4j prints them",
        arguments: [
            (14, 3, 14_706, 700_000_000, "P1Y2M3DT4H5M6.7S"), (0, 0, 0, 0, "PT0S"), (0, 0, 0, -1, "PT-0.000000001S"),
            (0, 0, -3662, 500_000_000, "PT-1H-1M-1.5S"), (-14, -3, 0, 0, "P-1Y-2M-3D"), (0, 14, 0, 0, "P14D"),
            (12, 0, 0, 0, "P1Y"), (0, 0, 60, 0, "PT1M"), (0, 0, 0, 1_500_000_000, "PT1.5S"),
            (0, 0, 59, 1, "PT59.000000001S"),
            (0, 0, -60, 0, "PT-1M"), (0, 0, 0, -500_000_000, "PT-0.5S"),
            (.min, 0, .min, 1, "P-768614336404564650Y-8MT-2562047788015215H-30M-7.999999999S"),
        ] as [(Int64, Int64, Int64, Int64, String)]
    )
    func durationText(months: Int64, days: Int64, seconds: Int64, nanoseconds: Int64, text: String) throws {
        let duration = try BoltDuration(months: months, days: days, seconds: seconds, nanoseconds: nanoseconds)
        #expect(duration.description == text)
        #expect(BoltValue.duration(duration).jsonText == "\"\(text)\"")
    }

    @Test("durations are normalized, so equal amounts are equal values")
    func durationNormalization() throws {
        #expect(try BoltDuration(seconds: 1, nanoseconds: -1) == BoltDuration(seconds: 0, nanoseconds: 999_999_999))
        #expect(try BoltDuration(nanoseconds: 3_000_000_001) == BoltDuration(seconds: 3, nanoseconds: 1))
        #expect(try BoltDuration(.milliseconds(-1500)) == BoltDuration(seconds: -2, nanoseconds: 500_000_000))
        #expect(try BoltDuration(.seconds(90) + .nanoseconds(5)) == BoltDuration(seconds: 90, nanoseconds: 5))
        #expect(throws: BoltTemporalError.self) { try BoltDuration(seconds: .max, nanoseconds: 1_000_000_000) }
    }

    // MARK: Text and JSON

    @Test(
        "ISO-8601 text as Neo4j prints it",
        arguments: [
            (.date(try! BoltDate(year: 2024, month: 5, day: 1)), "2024-05-01"),
            (.date(try! BoltDate(year: -1, month: 1, day: 1)), "-0001-01-01"),
            (.date(try! BoltDate(year: 12345, month: 1, day: 1)), "+12345-01-01"),
            (.date(try! BoltDate(year: 33, month: 7, day: 9)), "0033-07-09"),
            (.localTime(try! BoltLocalTime(hour: 0, minute: 0, second: 0)), "00:00:00"),
            (.localTime(try! BoltLocalTime(hour: 9, minute: 5, second: 7, nanosecond: 10_000_000)), "09:05:07.01"),
            (
                .time(try! BoltTime(nanosecondsSinceMidnight: 45_296_000_000_789, offsetSeconds: 7200)),
                "12:34:56.000000789+02:00"
            ),
            (.time(try! BoltTime(nanosecondsSinceMidnight: 0, offsetSeconds: 0)), "00:00:00Z"),
            (.time(try! BoltTime(nanosecondsSinceMidnight: 0, offsetSeconds: -20_730)), "00:00:00-05:45:30"),
            (
                .localDateTime(try! BoltLocalDateTime(secondsSinceEpoch: 1_714_566_896, nanoseconds: 0)),
                "2024-05-01T12:34:56"
            ),
            (
                .dateTime(try! BoltDateTime(secondsSinceEpoch: 1_714_559_696, nanoseconds: 0, zone: .utc)),
                "2024-05-01T10:34:56Z"
            ),
            (
                .dateTime(
                    try! BoltDateTime(
                        secondsSinceEpoch: 1_714_559_696,
                        nanoseconds: 0,
                        zone: .identifier("Europe/Berlin")
                    )
                ),
                "2024-05-01T12:34:56+02:00[Europe/Berlin]"
            ),
            (
                .dateTime(try! BoltDateTime(secondsSinceEpoch: -1, nanoseconds: 1, zone: .identifier("UTC"))),
                "1969-12-31T23:59:59.000000001Z[UTC]"
            ),
            (.point(BoltPoint(srid: BoltPoint.wgs84, x: 1, y: 2)), "point({srid:4326, x:1.0, y:2.0})"),
            (
                .point(BoltPoint(srid: BoltPoint.cartesian3D, x: -0.5, y: 1e20, z: .nan)),
                "point({srid:9157, x:-0.5, y:1e+20, z:NaN})"
            ),
        ] as [(BoltValue, String)]
    )
    func text(value: BoltValue, text: String) {
        #expect(value.description == text)
    }

    @Test("JSON: temporal values as ISO strings, points as objects")
    func json() throws {
        let value: BoltValue = [
            "on": .date(try BoltDate(year: 2024, month: 5, day: 1)),
            "at": .dateTime(try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .offset(seconds: 3600))),
            "for": .duration(try BoltDuration(days: 1, seconds: 7200)),
            "where": .point(BoltPoint(srid: BoltPoint.cartesian, x: 1, y: 2)),
            "up": .point(BoltPoint(srid: BoltPoint.cartesian3D, x: 1, y: 2, z: 3)),
        ]
        #expect(
            value.jsonText
                == #"{"at":"1970-01-01T02:15:00.000000042+01:00","for":"P1DT2H","on":"2024-05-01","#
                + #""up":{"srid":9157,"x":1.0,"y":2.0,"z":3.0},"where":{"srid":7203,"x":1.0,"y":2.0}}"#
        )
    }

    @Test("accessors and initializers of BoltValue")
    func accessors() throws {
        let date = try BoltDate(year: 2024, month: 5, day: 1)
        let time = try BoltTime(nanosecondsSinceMidnight: 1, offsetSeconds: 0)
        let localTime = try BoltLocalTime(nanosecondsSinceMidnight: 1)
        let dateTime = try BoltDateTime(secondsSinceEpoch: 1, nanoseconds: 0, zone: .utc)
        let localDateTime = try BoltLocalDateTime(secondsSinceEpoch: 1, nanoseconds: 0)
        let duration = try BoltDuration(months: 1)
        let point = BoltPoint(srid: BoltPoint.wgs84, x: 13.4, y: 52.5)
        #expect(BoltValue(date).dateValue == date && BoltValue(time).timeValue == time)
        #expect(BoltValue(localTime).localTimeValue == localTime && BoltValue(dateTime).dateTimeValue == dateTime)
        #expect(
            BoltValue(localDateTime).localDateTimeValue == localDateTime
                && BoltValue(duration).durationValue == duration
        )
        #expect(BoltValue(point).pointValue == point)
        #expect(BoltValue(date).dateTimeValue == nil && BoltValue.integer(1).dateValue == nil)
    }
}
