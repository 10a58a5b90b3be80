import Foundation
import JobStore
import Logging
import Testing

@testable import Daemon

@Suite struct DaemonRuntimeTests {
    @Test func durationsParseAndFormat() throws {
        #expect(try DurationText.parse("500ms") == .milliseconds(500))
        #expect(try DurationText.parse("1m30s") == .seconds(90))
        #expect(try DurationText.parse("2h") == .seconds(7200))
        #expect(try DurationText.parse("1.5s") == .milliseconds(1500))
        #expect(try DurationText.parse("8760h") == DurationText.maximum)
        for text in ["30", "", "5 parsecs"] {
            #expect(throws: DurationText.Failure.notADuration) { try DurationText.parse(text) }
        }
        // Beyond Int64 milliseconds the conversion trapped; a year and a second is refused as too long.
        for text in ["99999999999999999999s", "8760h1s", "8000h8000h", "1\(String(repeating: "0", count: 400))ms"] {
            #expect(throws: DurationText.Failure.tooLong) { try DurationText.parse(text) }
        }
        #expect(DurationText.format(.seconds(90)) == "1m30s")
        #expect(DurationText.format(.milliseconds(250)) == "250ms")
        #expect(DurationText.format(.zero) == "0s")
    }

    @Test func theStatusLineReadsAsDocumented() {
        #expect(
            StatusLine.job(
                version: "007",
                name: "normalize_project_names",
                direction: "up",
                done: 412_000,
                total: 1_000_000,
                itemsPerSecond: 8_200,
                throttle: "business hours"
            )
                == "007 normalize_project_names: 412,000/1,000,000 (41%), 8,200 items/s, ETA 1m12s, throttled: business hours"
        )
        #expect(
            StatusLine.job(version: "003", name: "rename", direction: "down", done: 0, total: 10, itemsPerSecond: nil)
                == "003 rename (down): 0/10 (0%)"
        )
        // A job a window holds back before planning says so, not "planning".
        #expect(
            StatusLine.planning(version: "101", name: "count_items", direction: "down", heldBy: "paused: night")
                == "101 count_items (down): waits to plan, throttled: paused: night"
        )
        // A claimed job whose graph has not greeted yet is no idle daemon (a stopped server takes up to a minute).
        #expect(
            StatusLine.connecting(version: "003", name: "rename", direction: "down", graph: "bolt://g:7687")
                == "003 rename (down): connecting to the graph bolt://g:7687"
        )
        #expect(
            StatusLine.job(
                version: "001",
                name: "x",
                direction: "up",
                done: 5,
                total: 10,
                itemsPerSecond: 2_000,
                stuckFor: .seconds(600)
            )
                == "001 x: 5/10 (50%), STUCK: no progress for 10m"
        )
        #expect(StatusLine.idle(worker: "h/1") == "idle, waiting for jobs (worker h/1)")
        let paused = StatusLine.JobSummary(
            id: 1,
            version: "101",
            name: "count",
            direction: "up",
            done: 1_400,
            total: 3_000
        )
        #expect(
            StatusLine.idle(worker: "h/1", paused: [paused, paused])
                == "idle, waiting for jobs (worker h/1); job 1 (101 count) paused at 1,400/3,000 holds its graph: "
                + "sluice resume 1 or sluice cancel 1 (1 more paused)"
        )
        #expect(
            StatusLine.waiting(for: "Postgres", reason: "connection refused", retryIn: .milliseconds(3_900))
                == "waiting for Postgres: connection refused; next attempt in 4s"
        )
        #expect(
            StatusLine.waiting(for: "Postgres", reason: "refused", retryIn: .seconds(8), job: paused)
                == "waiting for Postgres: refused; next attempt in 8s; job 1 (101 count) at 1,400/3,000 waits"
        )
        let other = WorkerPresence(
            worker: WorkerIdentity(rawValue: "host/sluice.service"),
            url: "bolt://db:7687",
            version: "0.1.0",
            startedAt: Date(timeIntervalSince1970: 1_795_784_050),
            seenAt: Date(timeIntervalSince1970: 1_795_784_060),
            process: "pid 4242 on host-b"
        )
        #expect(
            StatusLine.workerShared("host/sluice.service", by: other)
                == "another live daemon uses worker host/sluice.service (since 2026-11-27T12:54:10Z, pid 4242 on "
                + "host-b): give each daemon its own [daemon] worker; this one takes no jobs until that one stops"
        )
    }

    @Test func anOutageIsJournalledOnceWhenItBeginsAndOnceWhenWorkGoesOn() {
        let outage = OutageLog()
        let logger = Logger(label: "test") { _ in SwiftLogNoOpLogHandler() }
        #expect(outage.failed(waitingFor: "Postgres"))
        #expect(!outage.failed(waitingFor: "Postgres"))
        #expect(!outage.failed(waitingFor: "Postgres"))
        outage.workGoesOn(logger: logger)
        #expect(outage.failed(waitingFor: "Postgres"), "a new outage after work went on is journalled again")
    }

    /// A refused login is an error of its own: journalled once even when it follows an outage already journalled (a
    /// Postgres back with another password), and once only however often it is tried again.
    @Test func aRefusedConnectionIsJournalledOnceBesideTheOutage() {
        let outage = OutageLog()
        #expect(outage.failed(waitingFor: "Postgres"))
        #expect(outage.failed(waitingFor: "Postgres", refused: true))
        #expect(!outage.failed(waitingFor: "Postgres", refused: true))
        #expect(!outage.failed(waitingFor: "Postgres"), "the outage was journalled already")
        let refusedFirst = OutageLog()
        #expect(refusedFirst.failed(waitingFor: "Postgres", refused: true))
        #expect(!refusedFirst.failed(waitingFor: "Postgres", refused: true))
    }

    /// The connection's own reconnect attempts start the outage and count as attempts: an outage of 12 s whose first
    /// 8 s the store rode out alone ends with "after 12s", not with the time since the work loop heard of it.
    @Test func anOutageLastsFromTheFirstFailedConnectionAndCountsEveryAttempt() {
        let outage = OutageLog()
        let lines = LinesLogged()
        let logger = Logger(label: "test") { _ in lines }
        let start = ContinuousClock.now
        for second in 0..<8 { outage.connectionFailed(reaching: "Postgres", at: start + .seconds(second)) }
        #expect(outage.failed(waitingFor: "Postgres", at: start + .seconds(8)), "the first wait is journalled")
        outage.connectionFailed(reaching: "Postgres", at: start + .seconds(10))
        #expect(!outage.failed(waitingFor: "Postgres", at: start + .seconds(10)))
        outage.workGoesOn(logger: logger, at: start + .seconds(12))
        #expect(lines.messages == ["Postgres answers again after 12s (9 failed attempts): work goes on"])

        // Reconnects the connection rode out alone are no outage the work loop waited for: nothing to journal.
        outage.connectionFailed(reaching: "Postgres", at: start + .seconds(20))
        outage.workGoesOn(logger: logger, at: start + .seconds(21))
        #expect(lines.messages.count == 1, "\(lines.messages)")
    }

    @Test func backoffDoublesUpToItsMaximumAndResets() {
        var backoff = Backoff(initial: .seconds(1), maximum: .seconds(5))
        #expect(
            (0..<5).map { _ in backoff.delay() } == [.seconds(1), .seconds(2), .seconds(4), .seconds(5), .seconds(5)]
        )
        backoff.reset()
        #expect(backoff.delay() == .seconds(1))
    }

    @Test func theRateFollowsTheRecentSpan() {
        var meter = RateMeter(span: .seconds(10))
        #expect(meter.itemsPerSecond == nil)
        meter.record(done: 0, at: .seconds(0))
        meter.record(done: 1_000, at: .seconds(1))
        #expect(meter.itemsPerSecond == 1_000)
        // Slower now: after the span, the early fast second no longer counts.
        for second in 2...20 { meter.record(done: 1_000 + Int64(second - 1) * 100, at: .seconds(second)) }
        #expect(meter.itemsPerSecond == 100)
    }

    @Test func thePulseIsOverdueOnlyPastItsAllowance() {
        let start = ContinuousClock.now
        let pulse = WorkLoopPulse(now: start, allowance: .seconds(10))
        #expect(pulse.overdue(at: start + .seconds(9)) == nil)
        #expect(pulse.overdue(at: start + .seconds(11)) == .seconds(11))
        // A long batch announced with its allowance is not a hang.
        pulse.beat(at: start + .seconds(11), allowing: .seconds(150))
        #expect(pulse.overdue(at: start + .seconds(100)) == nil)
        #expect(pulse.overdue(at: start + .seconds(200)) != nil)
    }

    @Test func aWakeupGivenBeforeTheWaitIsNotLost() async {
        let wakeup = Wakeup()
        wakeup.signal()
        let started = ContinuousClock.now
        // A lost signal would wait the whole 300 s; a kept one returns at once, or when a test run that
        // starves the cooperative pool (2 threads on 2 cores) lets it run.
        await wakeup.wait(upTo: .seconds(300))
        #expect(ContinuousClock.now - started < .seconds(150))
        let again = ContinuousClock.now
        await wakeup.wait(upTo: .milliseconds(50))
        #expect(ContinuousClock.now - again >= .milliseconds(50))
    }

    @Test func testFaultsComeOnlyFromTheirVariable() {
        #expect(TestFault.from(environment: [:]) == nil)
        #expect(TestFault.from(environment: ["SLUICE_TEST_FAULT": "hang-work-loop"]) == .hangWorkLoop)
        #expect(TestFault.from(environment: ["SLUICE_TEST_FAULT": "nonsense"]) == nil)
    }
}

/// Keeps the messages logged through it.
private struct LinesLogged: LogHandler {
    private final class Box: @unchecked Sendable {
        var messages: [String] = []
    }
    private let box = Box()
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    var messages: [String] { box.messages }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        box.messages.append("\(event.message)")
    }
}
