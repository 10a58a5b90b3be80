import Foundation
import Testing

@testable import Throttle

@Suite struct ThrottleWindowParsingTests {
    @Test func readsTheExamplesOfTheDesign() throws {
        let business = try ThrottleWindow(
            parsing: "business hours = Mon-Fri 09:00-18:00 Europe/Berlin: max 2,000 items/s"
        )
        #expect(business.name == "business hours")
        #expect(business.days == [.monday, .tuesday, .wednesday, .thursday, .friday])
        #expect(business.start == TimeOfDay(hour: 9, minute: 0) && business.end == TimeOfDay(hour: 18, minute: 0))
        #expect(business.timeZone.identifier == "Europe/Berlin")
        #expect(business.action == .limit(maxItemsPerSecond: 2_000, maxBatchSize: nil))
        #expect(!business.crossesMidnight)
        #expect(business.label == "business hours")

        let weekend = try ThrottleWindow(parsing: "Sat,Sun 00:00-24:00 UTC: pause")
        #expect(weekend.days == [.saturday, .sunday] && weekend.end == .endOfDay && weekend.action == .pause)
        #expect(weekend.label == "window Sat,Sun 00:00-24:00 UTC")

        let night = try ThrottleWindow(parsing: "Mon-Fri 22:00-06:00 America/New_York: max batch 2000")
        #expect(night.crossesMidnight && night.action == .limit(maxItemsPerSecond: nil, maxBatchSize: 2_000))
    }

    @Test(arguments: [
        (
            "business hours = Mon-Fri 09:00-18:00 Europe/Berlin: max 2,000 items/s",
            "business hours = Mon-Fri 09:00-18:00 Europe/Berlin: max 2000 items/s"
        ),
        ("sat, sun 0:00 - 24:00 UTC : PAUSE", "Sat,Sun 00:00-24:00 UTC: pause"),
        (
            "Fri-Mon 22:00-06:00 Asia/Tokyo: max batch 500, max 1_000 nodes/s",
            "Mon,Fri-Sun 22:00-06:00 Asia/Tokyo: max 1000 items/s, max batch 500"
        ),
        ("daily 01:00-03:00 UTC: max 10 relationships/s", "daily 01:00-03:00 UTC: max 10 items/s"),
        (
            "Monday,Wednesday-Friday 07:15-07:45 Europe/London: max batch 1,500,max 3 items/s",
            "Mon,Wed-Fri 07:15-07:45 Europe/London: max 3 items/s, max batch 1500"
        ),
        ("Mon-Sun\t12:00-13:00\tUTC:\tpause", "daily 12:00-13:00 UTC: pause"),
    ])
    func printsTheCanonicalFormThatParsesBack(text: String, canonical: String) throws {
        let window = try ThrottleWindow(parsing: text)
        #expect(window.description == canonical)
        #expect(try ThrottleWindow(parsing: canonical) == window)
    }

    @Test(arguments: [
        ("Mon-Fry 09:00-18:00 UTC: pause", 5, ThrottleWindowError.Reason.expectedDay(found: "Fry")),
        ("", 1, .expectedDay(found: "")),
        ("weekdays 09:00-18:00 UTC: pause", 1, .expectedDay(found: "weekdays")),
        (" = Mon-Fri 09:00-18:00 UTC: pause", 2, .emptyName),
        ("Mon-Fri 9:0-18:00 UTC: pause", 9, .expectedTime(found: "9:0-18:00")),
        ("Mon-Fri 09:00-25:00 UTC: pause", 15, .invalidTime("25:00")),
        ("Mon-Fri 09:60-18:00 UTC: pause", 9, .invalidTime("09:60")),
        ("Mon-Fri 24:00-06:00 UTC: pause", 9, .startsAtEndOfDay),
        ("Mon-Fri 09:00-09:00 UTC: pause", 15, .emptyWindow(TimeOfDay(hour: 9, minute: 0)!)),
        ("Mon-Fri 09:00 18:00 UTC: pause", 15, .expectedDash(found: "18:00")),
        ("Mon-Fri 09:00-18:00 : pause", 21, .expectedTimeZone(found: ":")),
        ("Mon-Fri 09:00-18:00 Europe/Berln: pause", 21, .unknownTimeZone("Europe/Berln", suggestion: nil)),
        (
            "Mon-Fri 09:00-18:00 europe/berlin: pause", 21,
            .unknownTimeZone("europe/berlin", suggestion: "Europe/Berlin")
        ),
        ("Mon-Fri 09:00-18:00 UTC pause", 25, .expectedColon(found: "pause")),
        ("Mon-Fri 09:00-18:00 UTC: slow", 26, .expectedAction(found: "slow")),
        ("Mon-Fri 09:00-18:00 UTC:", 25, .expectedAction(found: "")),
        ("Mon-Fri 09:00-18:00 UTC: max fast items/s", 30, .expectedNumber(found: "fast")),
        ("Mon-Fri 09:00-18:00 UTC: max 2,00 items/s", 30, .expectedNumber(found: "2,00")),
        ("Mon-Fri 09:00-18:00 UTC: max 0 items/s", 30, .zeroLimit),
        ("Mon-Fri 09:00-18:00 UTC: max 9223372036854775807 items/s", 30, .rateTooHigh(Int.max)),
        ("Mon-Fri 09:00-18:00 UTC: max batch 5, max 1,000,000,001 items/s", 43, .rateTooHigh(1_000_000_001)),
        ("Mon-Fri 09:00-18:00 UTC: max 2000 items", 35, .expectedUnit(found: "items")),
        ("Mon-Fri 09:00-18:00 UTC: max 2000", 34, .expectedUnit(found: "")),
        ("Mon-Fri 09:00-18:00 UTC: max batch 5, max batch 6", 39, .repeatedLimit("max batch")),
        ("Mon-Fri 09:00-18:00 UTC: max 5 items/s, max 6 items/s", 41, .repeatedLimit("max items/s")),
        ("Mon-Fri 09:00-18:00 UTC: max batch 5, pause", 39, .expectedAction(found: "pause")),
        ("Mon-Fri 09:00-18:00 UTC: pause now", 32, .unexpectedText("now")),
    ])
    func namesTheColumnAndTheReason(text: String, column: Int, reason: ThrottleWindowError.Reason) {
        #expect(throws: ThrottleWindowError(column: column, reason: reason)) {
            try ThrottleWindow(parsing: text)
        }
    }

    @Test func errorsReadAsOneLine() {
        #expect {
            try ThrottleWindow(parsing: "Mon-Fri 09:00-18:00 europe/berlin: pause")
        } throws: { error in
            "\(error)" == "column 21: unknown time zone 'europe/berlin' (did you mean 'Europe/Berlin'?)"
        }
        #expect {
            try ThrottleWindow(parsing: "Mon-Fri 09:00-18:00 UTC:")
        } throws: { error in
            "\(error)" == "column 25: expected 'pause', 'max N items/s' or 'max batch N', found the end of the rule"
        }
    }

    @Test func aListNamesTheLineAndSkipsCommentsAndBlankLines() throws {
        let schedule = try ThrottleSchedule(
            parsingLines: """
                # business hours
                Mon-Fri 09:00-18:00 Europe/Berlin: max 2000 items/s   # the shop

                Sat,Sun 00:00-24:00 UTC: pause
                """
        )
        #expect(schedule.windows.count == 2)
        #expect {
            try ThrottleSchedule(
                parsingLines: "# header\n\nSat,Sun 00:00-24:00 UTC: pause\n  Mon 10:00-11:00 Mars/Olympus: pause\n"
            )
        } throws: { error in
            let error = error as? ThrottleScheduleError
            return error?.line == 4 && error?.error.column == 19
                && "\(error!)" == "line 4, column 19: unknown time zone 'Mars/Olympus'"
        }
    }
}
