import Foundation
import Testing

@testable import Throttle

@Suite struct ThrottleScheduleTests {
    private func schedule(_ rules: String...) throws -> ThrottleSchedule {
        try ThrottleSchedule(rules.map { try ThrottleWindow(parsing: $0) })
    }

    @Test func overlappingRulesResolveToTheStrictest() throws {
        let rules = try schedule(
            "shop = daily 08:00-20:00 UTC: max 2000 items/s, max batch 5000",
            "reports = daily 12:00-14:00 UTC: max 500 items/s",
            "small = daily 13:00-15:00 UTC: max batch 800",
            "backup = daily 13:30-13:45 UTC: pause",
            "same = daily 08:00-09:00 UTC: max 2000 items/s"
        )
        let morning = rules.cap(at: Date("2026-03-23T08:30:00Z"))
        #expect(morning.maxItemsPerSecond?.value == 2_000 && morning.maxItemsPerSecond?.window.name == "shop")
        #expect(morning.maxBatchSize?.value == 5_000)
        let noon = rules.cap(at: Date("2026-03-23T13:10:00Z"))
        #expect(noon.maxItemsPerSecond?.window.name == "reports" && noon.maxBatchSize?.window.name == "small")
        #expect("\(noon)" == "max 500 items/s (reports), max batch 800 (small)")
        let backup = rules.cap(at: Date("2026-03-23T13:40:00Z"))
        #expect(backup.isPaused && backup.maxItemsPerSecond == nil && backup.maxBatchSize == nil)
        #expect("\(backup)" == "pause (backup)")
        #expect(rules.cap(at: Date("2026-03-23T21:00:00Z")) == .none)
        #expect("\(ThrottleCap.none)" == "no limit")
    }

    @Test func transitionsOfADayWithNestedWindows() throws {
        let rules = try schedule(
            "shop = daily 08:00-20:00 UTC: max 2000 items/s",
            "inside = daily 10:00-11:00 UTC: max 5000 items/s",
            "backup = daily 13:30-13:45 UTC: pause"
        )
        let transitions = rules.transitions(from: Date("2026-03-23T00:00:00Z"), to: Date("2026-03-24T00:00:00Z"))
        #expect(
            transitions.map(\.instant.iso8601) == [
                "2026-03-23T08:00:00Z", "2026-03-23T13:30:00Z", "2026-03-23T13:45:00Z", "2026-03-23T20:00:00Z",
            ]
        )
        #expect(
            transitions.map { "\($0.cap)" } == [
                "max 2,000 items/s (shop)", "pause (backup)", "max 2,000 items/s (shop)", "no limit",
            ]
        )
    }

    /// Between the US and the European change to summer time, New York is five hours behind Berlin instead of six.
    @Test func transitionsInTwoZones() throws {
        let rules = try schedule(
            "berlin = Mon-Fri 09:00-18:00 Europe/Berlin: max 2000 items/s",
            "new york = Mon-Fri 09:00-17:00 America/New_York: max 1000 items/s"
        )
        func monday(_ day: String) -> [String] {
            rules.transitions(from: Date("\(day)T00:00:00Z"), to: Date("\(day)T23:59:59Z")).map {
                "\($0.instant.iso8601) \($0.cap)"
            }
        }
        let winter = [
            "2026-03-02T08:00:00Z max 2,000 items/s (berlin)",
            "2026-03-02T14:00:00Z max 1,000 items/s (new york)",
            "2026-03-02T22:00:00Z no limit",
        ]
        let between = [
            "2026-03-23T08:00:00Z max 2,000 items/s (berlin)",
            "2026-03-23T13:00:00Z max 1,000 items/s (new york)",
            "2026-03-23T21:00:00Z no limit",
        ]
        let summer = [
            "2026-03-30T07:00:00Z max 2,000 items/s (berlin)",
            "2026-03-30T13:00:00Z max 1,000 items/s (new york)",
            "2026-03-30T21:00:00Z no limit",
        ]
        #expect(monday("2026-03-02") == winter)
        #expect(monday("2026-03-23") == between)
        #expect(monday("2026-03-30") == summer)
    }

    @Test func transitionsAcrossTheChangeToSummerTime() throws {
        let rules = try schedule("daily 09:00-18:00 Europe/Berlin: pause")
        let transitions = rules.transitions(from: Date("2026-03-27T00:00:00Z"), to: Date("2026-03-31T00:00:00Z"))
        #expect(
            transitions.map(\.instant.iso8601) == [
                "2026-03-27T08:00:00Z", "2026-03-27T17:00:00Z", "2026-03-28T08:00:00Z", "2026-03-28T17:00:00Z",
                "2026-03-29T07:00:00Z", "2026-03-29T16:00:00Z", "2026-03-30T07:00:00Z", "2026-03-30T16:00:00Z",
            ]
        )
        #expect(transitions.map(\.cap.isPaused) == [true, false, true, false, true, false, true, false])
    }

    @Test func aTransitionAtTheStartIsNotListedOneAtTheEndIs() throws {
        let rules = try schedule("daily 09:00-18:00 UTC: pause")
        let transitions = rules.transitions(from: Date("2026-03-23T09:00:00Z"), to: Date("2026-03-23T18:00:00Z"))
        #expect(transitions.map(\.instant.iso8601) == ["2026-03-23T18:00:00Z"])
        #expect(rules.transitions(from: Date("2026-03-23T18:00:00Z"), to: Date("2026-03-23T09:00:00Z")).isEmpty)
    }

    /// The whole path with an injected clock: a controller fed from the schedule at each minute of a working day pauses
    /// at the window's first minute and resumes at its end (slowly, from the smallest batch), one journal entry each.
    @Test func theJobPausesAtTheWindowsStartAndResumesAtItsEnd() throws {
        let rules = try ThrottleSchedule(parsingLines: "Mon-Fri 09:00-18:00 Europe/Berlin: pause")
        var simulation = try ThrottleSimulation()
        var wall = Date("2026-03-23T07:00:00Z")
        var changes: [(String, ThrottleState)] = []
        var previous: ThrottleDecision?
        while wall < Date("2026-03-23T18:00:00Z") {
            simulation.clock.advance(by: .seconds(60))
            wall += 60
            simulation.controller.record(.milliseconds(5), from: .probe)
            let decision = simulation.controller.decide(cap: rules.cap(at: wall))
            if decision.isChange(from: previous), previous != nil {
                changes.append((wall.iso8601, decision.state))
            }
            previous = decision
        }
        #expect(
            changes.map(\.0) == [
                "2026-03-23T07:09:00Z", "2026-03-23T08:00:00Z", "2026-03-23T17:00:00Z", "2026-03-23T17:08:00Z",
            ]
        )
        // After the window's pause, work ramps up from the smallest batch (running: nothing slows it) to full speed.
        #expect(changes.map(\.1) == [.running, .paused, .running, .running])
    }
}
