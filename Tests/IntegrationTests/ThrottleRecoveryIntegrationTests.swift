import Bolt
import Engine
import Foundation
import JobStore
import Logging
import Synchronization
import Testing
import Throttle

/// The throttle against a competing load that the job makes worse, so that slowing the job down brings the
/// application's latency back: a private FalkorDB running every query on one thread (`THREAD_COUNT 1`), where a read
/// waits for the query in progress and any queued before it. The application's read (the job's probe, and an
/// independent prober of the test's own timing the same read) then waits for the job's batch in progress, whose time
/// grows with its size, and for the competing load's scans (another process, `scripts/lib/graph-load.py`).
///
/// Nothing is hard-coded in milliseconds: the test measures the read's p99 under the load alone, beside the job alone
/// at full speed (unthrottled), and under both (the control), and sets the target between them (see `target`). The
/// control's median must be at least 1.25 times either alone and its p99 1.1 times the target; a machine that stalls
/// the reads can hide that, so the test calibrates again on an emptied graph, and fails after three attempts. Then,
/// throttled: the job comes back to full speed while calm, the load starts, the job's rate drops, and within a bounded
/// time the read's p99 is back under the target (in the pacer's window and in the prober's, every sample of either
/// taken under the load) while the job still commits batches; the load stops, and within 30 s the job runs at 90% of
/// its unthrottled rate or more (items per second over 4 s of batches, not its batch size).
///
/// p99 here is the pacer's: the window's p99, but never a level only its two highest samples reached
/// (``LatencyStatistics/sustainedP99``); a read that waits for a batch takes up to hundreds of milliseconds, so a 6 s
/// window holds 10 to 60. The controller steps up only while the whole window is under the target, but a step can
/// still take a read over it before the next cut: the test asserts that the p99 comes back, not that it stays.
///
/// Opt-in (`SLUICE_THROTTLE_RECOVERY=1`): since the controller holds its steps up until the window is clean, it passed
/// every run whose server lived and whose calibration held (six of nine, three beside another suite). In two the
/// private FalkorDB aborted (`pthread_mutex_lock: Assertion 'mutex->__data.__owner == 0' failed`, a lock the server
/// took twice) near the load's start or stop, which ends the job; in one, beside two other suites on a machine loaded
/// far beyond its two cores, all three calibrations were inconclusive (the job alone took the read's p99 to 1 s,
/// above the control's). The abort looks like FalkorDB/FalkorDB#897 (``PrivateGraphServer/falkorCrash``), which the
/// suites that kill clients record as a known issue; this one does not yet, so it stays out of the default suite.
@Suite(.enabled(if: ProcessInfo.processInfo.environment["SLUICE_THROTTLE_RECOVERY"] == "1"))
struct ThrottleRecoveryIntegrationTests {
    /// The largest batch: at `cost` per item, 100 to 400 ms on a loaded 2-core machine, many times a quiet read.
    static let maxBatchSize = 1_250
    static let cost = 1_600
    /// Enough for the calm, the control, the load and 30 s back at full speed: the test stops the job.
    static let nodes = 1_000_000
    /// One scan over these takes a little less than a full batch.
    static let loadNodes = 250_000
    static let windowAge = Duration.seconds(6)

    /// The job at its largest batch whatever the latency: a target no read reaches.
    static let unthrottled = configuration(target: .seconds(3_600), minBatchSize: maxBatchSize)

    /// No pause between batches: the job's next batch is queued as soon as the last committed, so the application's
    /// read waits for one whenever the job runs. A step adds 8% of the largest batch every half second, about a batch's
    /// time: the controller steps up only once the window is clean, so the step does not decide how long a window
    /// stays under the target, only how soon the rate, nearly flat from half the largest batch up, is back once the
    /// load stops (about 4 s from half the largest batch, once the load's reads have left the 6 s window).
    static func configuration(target: Duration, minBatchSize: Int = maxBatchSize / 25) -> ThrottleConfiguration {
        ThrottleConfiguration(
            targetP99: target,
            // Far above: the job slows down, it never pauses.
            criticalP99: target * 10,
            minBatchSize: minBatchSize,
            maxBatchSize: maxBatchSize,
            minPause: .zero,
            maxPause: .seconds(1),
            recoveryPeriod: .seconds(2),
            increaseFraction: 0.08,
            decreaseFactor: 0.5,
            adjustmentInterval: .milliseconds(500),
            windowAge: windowAge
        )
    }

    /// The calibration could not tell the load plus the job from either alone: the machine stalled the reads (other
    /// suites' processes), not the graph.
    struct Inconclusive: Error, CustomStringConvertible {
        let description: String
    }

    /// Up to three attempts, each on an emptied graph, while the calibration is inconclusive; a failure after it
    /// fails at once.
    @Test func theProbeComesBackUnderTargetAndTheRateRecoversAfterTheLoad() async throws {
        guard let graph = try await PrivateGraphServer.start(.falkordb, falkordbThreads: 1) else { return }
        do {
            for attempt in 1...3 {
                do {
                    try await JobStoreTestDatabase.withStore { store in
                        try await run(on: graph.server, store: store)
                    }
                    break
                } catch let inconclusive as Inconclusive where attempt < 3 {
                    print("attempt \(attempt) inconclusive, again on an emptied graph: \(inconclusive)")
                    // Without persistence: a restart empties the graph.
                    try await graph.restart()
                }
            }
        } catch {
            if let signal = graph.crashSignal {
                print("private falkordb died by signal \(signal): \(graph.crashReport)")
            }
            print("private falkordb log: \(graph.log.suffix(2_000))")
            await graph.stop()
            throw error
        }
        await graph.stop()
    }

    private func run(on server: BoltTestServer, store: JobStore) async throws {
        print("RAN \(#function) on \(server) (THREAD_COUNT 1)")
        let probeLabel = BoltTestServer.uniqueLabel("AppRead")
        let loadLabel = BoltTestServer.uniqueLabel("AppScan")
        try await server.withConnection { connection in
            _ = try await server.query(connection, "CREATE (:\(probeLabel) {k: 1})")
            _ = try await server.query(
                connection,
                "UNWIND range(1, \(Self.loadNodes)) AS i CREATE (:\(loadLabel) {i: i})"
            )
        }
        let read = "MATCH (p:\(probeLabel) {k: 1}) RETURN p.k"
        let job = try await ThrottleTestJob(server: server, nodes: Self.nodes, probe: read, cost: Self.cost)
        let prober = try await ApplicationProber(server: server, query: read, interval: .milliseconds(100), outliers: 2)
        defer { prober.stop() }
        // A scan after another, without a pause: a read waits for the one in progress, and beside the job for a batch too.
        let startLoad = { try await GraphLoad(on: server, label: loadLabel, threads: 1, think: .zero) }

        // The load alone.
        var load: GraphLoad? = try await startLoad()
        do {
            let warm = try await prober.waitForSamples(10, after: .now)
            let aloneEnd = try await prober.waitForSamples(40, after: warm)
            let alone = try #require(prober.statistics(from: warm, through: aloneEnd))
            try await load?.stop()
            load = nil

            // The job alone at full speed, unthrottled: its rate and the read's latency beside it.
            let settings = Settings(Self.unthrottled)
            let pacer = try BatchPacer(configuration: Self.unthrottled, reload: { settings.current })
            let logger = Logger(label: "sluice.test.throttle-recovery") { _ in SwiftLogNoOpLogHandler() }
            let lease = try await job.claim(in: store, batchSize: Self.maxBatchSize)
            let connection = try await server.connect()
            let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
            let probe = job.probe(interval: .milliseconds(100), timeout: .seconds(10), logger: logger)
            let running = Task { try await job.run(runner, lease, probe: probe) }
            defer { running.cancel() }
            let calmStart = try await job.waitFor("full batches", timeout: .seconds(300)) { $0.progress.committedBatch }
            let calmRate = try await job.rate(over: .seconds(6), after: calmStart)
            _ = try await prober.waitForSamples(40, after: calmStart.at)
            let calm = try #require(prober.statistics(from: calmStart.at, through: .now))
            print(
                "calibration: read under the load alone \(describe(alone)); beside the job alone at "
                    + "\(Self.maxBatchSize) items a batch \(describe(calm)), \(perSecond(calmRate))"
            )

            // The control: the load plus the unthrottled job take the read above the target.
            load = try await startLoad()
            let controlWarm = try await prober.waitForSamples(5, after: .now)
            let controlEnd = try await prober.waitForSamples(40, after: controlWarm)
            let control = try #require(prober.statistics(from: controlWarm, through: controlEnd))
            let pacerControl = pacer.statistics(of: .probe)
            let controlRate = try #require(rate(of: job, from: controlWarm, through: controlEnd))
            // The target sits between the higher p99 alone and the control's, at their geometric mean, and at least
            // 1.5 times either alone: the job runs at full speed while calm, and a read behind a scan and a small batch
            // stays under it. A prediction from the medians (a read waits for what is in progress from any point of
            // it, so its p99 is about twice its median) set targets the control missed in two calibrations of three
            // on a loaded machine, whose stalls add to every read and so move the medians more than the p99s. A
            // control under 1.1 times the target shows too little of the job's effect (inconclusive).
            let apart = max(alone.p50, calm.p50)
            let aloneP99 = max(alone.sustainedP99, calm.sustainedP99)
            let target = max(aloneP99 * 1.5, aloneP99 * (control.sustainedP99 / aloneP99).squareRoot())
            guard control.p50 >= apart * 1.25, control.sustainedP99 >= target * 1.1 else {
                try await load?.stop()
                load = nil
                running.cancel()
                _ = await running.result
                await connection.close()
                throw Inconclusive(
                    description: "the load and the full-speed job together: read median \(ms(control.p50)), not 1.25 "
                        + "times either alone (\(ms(apart))), or p99 \(ms(control.sustainedP99)) not 1.1 times the "
                        + "target \(ms(target))"
                )
            }
            print(
                "control: read under the load beside the full-speed job \(describe(control)), "
                    + "\(perSecond(controlRate)); target \(ms(target))"
            )
            try await load?.stop()
            load = nil

            // Throttled: the job runs at full speed while calm.
            settings.current = Self.configuration(target: target)
            let switched = ContinuousClock.now
            // The window still holds the control's reads: the first decision under the target slows the job down.
            let cut = try await job.waitFor("the first decision under the target", timeout: .seconds(60)) {
                $0.at > switched && $0.progress.throttle?.state == .throttled
            }
            let fullSpeed = try await job.waitFor("full speed under the target while calm", timeout: .seconds(180)) {
                $0.at > cut.at && $0.progress.committedBatch && $0.progress.throttle?.state == .running
                    && $0.progress.batchSize == Self.maxBatchSize
            }
            print("throttled, calm: full speed \(fullSpeed.at - cut.at) after the control's reads slowed it down")

            // The load starts mid-job.
            load = try await startLoad()
            let loadStart = ContinuousClock.now
            let slowed = try await job.waitFor("smaller batches under the load", timeout: .seconds(120)) {
                $0.at > loadStart && $0.progress.committedBatch && $0.progress.throttle?.state == .throttled
                    && $0.progress.batchSize < Self.maxBatchSize
            }
            // Back under the target: a window whose every sample came under the load (the decision before a batch
            // saw the window as of then: a batch and its pause take at most a few seconds), with a batch committed.
            let settled = loadStart + Self.windowAge + .seconds(3)
            let pacerUnder = try await job.waitFor("the job's probe p99 under \(ms(target))", timeout: .seconds(150)) {
                $0.at > settled && $0.progress.committedBatch
                    && ($0.progress.throttle?.latency).map { $0.sustainedP99 < target && $0.count >= 10 } == true
            }
            let proberUnder = try await waitForProber(prober, under: target, after: loadStart, timeout: .seconds(150))
            #expect(pacerUnder.progress.done > slowed.progress.done, "the job progresses under the load")
            let underLoadRate = try await job.rate(over: .seconds(6), after: pacerUnder)
            #expect(
                underLoadRate < controlRate,
                "the throttled job runs slower under the load than the unthrottled one"
            )
            let loadEnd = ContinuousClock.now
            let underLoad = job.reports.withLock { reports in
                reports.filter { $0.at > pacerUnder.at && $0.progress.committedBatch }
            }
            let underShare = underLoad.filter { ($0.progress.throttle?.latency?.sustainedP99 ?? target) < target }
            print(
                "load on: batches smaller after \(slowed.at - loadStart) (\(slowed.progress.batchSize)); "
                    + "job's probe p99 under the target \(pacerUnder.at - loadStart) after the load started "
                    + "(\(describe(pacerUnder.progress.throttle?.latency))), prober's \(proberUnder.at - loadStart) "
                    + "(\(describe(proberUnder.statistics))); then \(perSecond(underLoadRate)), "
                    + "\(underShare.count) of \(underLoad.count) decisions under the target, prober "
                    + "\(describe(prober.statistics(from: pacerUnder.at, through: loadEnd)))"
            )

            // The load stops: back to 90% of the unthrottled rate within 30 s.
            let stopped = try await load?.stop() ?? ""
            load = nil
            let loadStop = ContinuousClock.now
            let recovered = try await waitForRate(job, atLeast: calmRate * 0.9, after: loadStop, within: .seconds(30))
            print(
                "load off (\(stopped)): \(perSecond(recovered.rate)) over 4 s, \(recovered.after) after the "
                    + "load stopped (unthrottled \(perSecond(calmRate)), under the load \(perSecond(underLoadRate)))"
            )

            // Cancelled mid-batch, the run may end with its connection's error: how it stops is not this test's.
            running.cancel()
            _ = await running.result
            await connection.close()
        } catch {
            _ = try? await load?.stop()
            throw error
        }
    }

    /// The job's rate over the batches it committed from `start` through `end`; nil with fewer than two.
    private func rate(
        of job: ThrottleTestJob,
        from start: ContinuousClock.Instant,
        through end: ContinuousClock.Instant
    )
        -> Double?
    {
        let batches = job.reports.withLock {
            $0.filter { $0.at >= start && $0.at <= end && $0.progress.committedBatch }
        }
        guard let first = batches.first, let last = batches.last, last.at > first.at else { return nil }
        return Double(last.progress.done - first.progress.done) / ((last.at - first.at) / .seconds(1))
    }

    /// Polls the prober until the samples of the last `windowAge`, all taken after `start`, have a p99 under `target`.
    private func waitForProber(
        _ prober: ApplicationProber,
        under target: Duration,
        after start: ContinuousClock.Instant,
        timeout: Duration
    ) async throws -> (at: ContinuousClock.Instant, statistics: LatencyStatistics) {
        let deadline = start + timeout
        var last: LatencyStatistics?
        while ContinuousClock.now < deadline {
            let now = ContinuousClock.now
            if now - Self.windowAge > start, let window = prober.statistics(from: now - Self.windowAge, through: now) {
                last = window
                if window.sustainedP99 < target && window.count >= 10 { return (now, window) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure(
            "the prober's p99 stayed above \(ms(target)) for \(timeout) under the load; last: \(describe(last))"
        )
    }

    /// Polls the job's reports until its rate over 4 s of batches, all committed after `start`, reaches `rate`; fails
    /// unless that span ends within `bound` of `start`.
    private func waitForRate(
        _ job: ThrottleTestJob,
        atLeast rate: Double,
        after start: ContinuousClock.Instant,
        within bound: Duration
    ) async throws -> (after: Duration, rate: Double) {
        var best = 0.0
        while ContinuousClock.now < start + bound + .seconds(2) {
            let batches = job.reports.withLock { $0.filter { $0.at > start && $0.progress.committedBatch } }
            for end in batches where end.at <= start + bound {
                guard let first = batches.last(where: { $0.at <= end.at - .seconds(4) }) else { continue }
                let measured = Double(end.progress.done - first.progress.done) / ((end.at - first.at) / .seconds(1))
                best = max(best, measured)
                if measured >= rate { return (end.at - start, measured) }
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure(
            "the job's rate stayed under \(perSecond(rate)) for \(bound) after the load stopped (best \(perSecond(best)))"
        )
    }

    /// The configuration the pacer reloads at each decision, as a daemon's after SIGHUP.
    private final class Settings: Sendable {
        private let value: Mutex<ThrottleConfiguration>
        init(_ configuration: ThrottleConfiguration) { value = Mutex(configuration) }
        var current: ThrottleConfiguration {
            get { value.withLock { $0 } }
            set { value.withLock { $0 = newValue } }
        }
    }

    private func perSecond(_ rate: Double) -> String {
        "\(Int(rate.rounded())) items/s"
    }

    private func ms(_ value: Duration) -> String {
        "\(Int((value / .milliseconds(1)).rounded())) ms"
    }

    /// The statistics with the p99 the pacer decides on.
    private func describe(_ statistics: LatencyStatistics?) -> String {
        statistics.map { "p99 \(ms($0.sustainedP99)) without its 2 highest; \($0)" } ?? "no samples"
    }
}
