import Foundation
import Testing

@testable import Throttle

@Suite struct ThrottleWindowOccurrenceTests {
    private func occurrence(_ rule: String, containing instant: String) throws -> [String]? {
        try ThrottleWindow(parsing: rule).occurrence(containing: Date(instant)).map {
            [$0.start.iso8601, $0.end.iso8601]
        }
    }

    @Test func businessHoursFollowTheZonesOffset() throws {
        let rule = "Mon-Fri 09:00-18:00 Europe/Berlin: pause"
        // Monday 2026-03-23, CET (UTC+1); Monday 2026-03-30, CEST (UTC+2).
        #expect(
            try occurrence(rule, containing: "2026-03-23T10:00:00Z") == [
                "2026-03-23T08:00:00Z", "2026-03-23T17:00:00Z",
            ]
        )
        #expect(
            try occurrence(rule, containing: "2026-03-30T10:00:00Z") == [
                "2026-03-30T07:00:00Z", "2026-03-30T16:00:00Z",
            ]
        )
        #expect(try occurrence(rule, containing: "2026-03-23T07:59:59Z") == nil)
        #expect(try occurrence(rule, containing: "2026-03-23T08:00:00Z") != nil)
        #expect(try occurrence(rule, containing: "2026-03-23T17:00:00Z") == nil)
        #expect(try occurrence(rule, containing: "2026-03-28T10:00:00Z") == nil)
    }

    @Test func aWindowAcrossMidnightBelongsToTheDayItStartsOn() throws {
        let rule = "Fri 22:00-06:00 UTC: pause"
        let friday = ["2026-03-27T22:00:00Z", "2026-03-28T06:00:00Z"]
        #expect(try occurrence(rule, containing: "2026-03-27T23:30:00Z") == friday)
        #expect(try occurrence(rule, containing: "2026-03-28T05:59:59Z") == friday)
        #expect(try occurrence(rule, containing: "2026-03-28T06:00:00Z") == nil)
        // Friday early morning would belong to Thursday's night, which the rule does not name.
        #expect(try occurrence(rule, containing: "2026-03-27T03:00:00Z") == nil)
        #expect(try occurrence(rule, containing: "2026-03-28T23:00:00Z") == nil)
        #expect(try occurrence("Sun 18:00-24:00 UTC: pause", containing: "2026-03-29T23:59:59Z") != nil)
    }

    @Test func springForwardInBerlin() throws {
        // 2026-03-29: 02:00 CET becomes 03:00 CEST (01:00Z).
        #expect(
            try occurrence("Sun 01:00-04:00 Europe/Berlin: pause", containing: "2026-03-29T01:00:00Z")
                == ["2026-03-29T00:00:00Z", "2026-03-29T02:00:00Z"]
        )
        // 02:30 does not exist that day: the window starts when the clocks jump.
        #expect(
            try occurrence("Sun 02:30-05:00 Europe/Berlin: pause", containing: "2026-03-29T02:00:00Z")
                == ["2026-03-29T01:00:00Z", "2026-03-29T03:00:00Z"]
        )
        #expect(
            try occurrence("Sat 23:00-02:30 Europe/Berlin: pause", containing: "2026-03-29T00:30:00Z")
                == ["2026-03-28T22:00:00Z", "2026-03-29T01:00:00Z"]
        )
        // Wholly inside the skipped hour: no window that day, the usual one a week later.
        let skipped = try ThrottleWindow(parsing: "Sun 02:10-02:50 Europe/Berlin: pause")
        let fortnight = DateInterval(start: Date("2026-03-27T00:00:00Z"), end: Date("2026-04-06T00:00:00Z"))
        #expect(skipped.occurrences(overlapping: fortnight).map(\.start.iso8601) == ["2026-04-05T00:10:00Z"])
    }

    @Test func fallBackInNewYork() throws {
        // 2026-11-01: 02:00 EDT becomes 01:00 EST (06:00Z), so 01:00-02:00 happens twice.
        #expect(
            try occurrence("Sun 01:30-03:00 America/New_York: pause", containing: "2026-11-01T06:00:00Z")
                == ["2026-11-01T05:30:00Z", "2026-11-01T08:00:00Z"]
        )
        #expect(
            try occurrence("Sun 00:00-01:30 America/New_York: pause", containing: "2026-11-01T05:00:00Z")
                == ["2026-11-01T04:00:00Z", "2026-11-01T05:30:00Z"]
        )
        // Across midnight and the change, 22:00 EDT to 02:00 EST: four hours on the wall clock, five in fact.
        #expect(
            try occurrence("Sat 22:00-02:00 America/New_York: pause", containing: "2026-11-01T06:30:00Z")
                == ["2026-11-01T02:00:00Z", "2026-11-01T07:00:00Z"]
        )
    }

    @Test func springForwardInNewYorkAndFallBackInBerlin() throws {
        // 2026-03-08: 02:00 EST becomes 03:00 EDT (07:00Z).
        #expect(
            try occurrence("Sun 02:30-04:00 America/New_York: pause", containing: "2026-03-08T07:30:00Z")
                == ["2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z"]
        )
        // 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z); 02:30 is taken at its first occurrence, in CEST.
        #expect(
            try occurrence("Sun 02:30-03:30 Europe/Berlin: pause", containing: "2026-10-25T01:00:00Z")
                == ["2026-10-25T00:30:00Z", "2026-10-25T02:30:00Z"]
        )
    }

    @Test func occurrencesOverAWeekInTwoZones() throws {
        let week = DateInterval(start: Date("2026-03-23T00:00:00Z"), duration: 7 * 86_400)
        let berlin = try ThrottleWindow(parsing: "Mon-Fri 09:00-18:00 Europe/Berlin: pause")
        let tokyo = try ThrottleWindow(parsing: "Mon-Fri 09:00-18:00 Asia/Tokyo: pause")
        #expect(
            berlin.occurrences(overlapping: week).map(\.start.iso8601) == (23...27).map { "2026-03-\($0)T08:00:00Z" }
        )
        #expect(
            tokyo.occurrences(overlapping: week).map(\.start.iso8601) == (23...27).map { "2026-03-\($0)T00:00:00Z" }
        )
    }
}
