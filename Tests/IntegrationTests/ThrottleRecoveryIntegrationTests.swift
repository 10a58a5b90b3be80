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
/// Nothing is hard-coded in milliseconds: the job starts held by a time window that pauses it, and the test measures
/// the read's p99 under the load alone, beside the job alone at full speed (unthrottled), and under both (the
/// control), and sets the target at 1.5 times the higher p99 alone. The read waits for a batch as for a scan, so the
/// control adds most when the two take about as long: a batch that holds the read (its median) much longer or shorter than the
/// scan is scaled to it and measured again (a loaded machine runs them at different paces: beside two other suites
/// the job alone once took the read's p99 to 1 s). The control's median must be at least 1.25 times either alone and
/// its p99 1.1 times the target; a machine that stalls the reads can hide that, so while a calibration is
/// inconclusive the test holds the job and calibrates again, and fails once 150 s have passed. Then, throttled: the
/// job comes back to full speed while calm, the load starts, the job's batches shrink, and within a bounded time the
/// read's p99 is back under the target (in the pacer's window and in the prober's, every sample of either taken under
/// the load) while the job still commits batches, with at most 3/4 of the unthrottled job's items per scan of the load
/// (its share of the server's one thread, which the machine's pace does not move as it moves a rate; a controller that
/// never cuts fails there, while its p99 may come under the target through the machine's noise); the load stops, and
/// within 30 s the job runs at 90% of its unthrottled rate or more (items per second over 4 s of batches, not its
/// batch size), measured before, or when it is not reached, again right after the 30 s.
///
/// p99 here is the pacer's: the window's p99, but never a level only its two highest samples reached
/// (``LatencyStatistics/sustainedP99``); a read that waits for a batch takes up to hundreds of milliseconds, so a 6 s
/// window holds 10 to 60. The controller steps up only while the whole window is under the target, but a step can
/// still take a read over it before the next cut: the test asserts that the p99 comes back, not that it stays.
///
/// The private FalkorDB sometimes aborts (`pthread_mutex_lock: Assertion 'mutex->__data.__owner == 0' failed`, its
/// own locking, in two runs of nine near the load's start or stop), which ends the job: its death by a signal is
/// recorded as FalkorDB's known issue (``PrivateGraphServer/withPrivateFalkorDB(threads:sourceLocation:_:)``), and any
/// failure while it lives fails the test.
///
/// A calibration the machine's pace moved away from before the throttled phase's load (the load beside the full-speed
/// job then keeps the read under the target, and the controller rightly never cuts) is inconclusive too: the test
/// calibrates again, up to ``rounds`` times. Seen in a CI run beside every other suite (2026-11-26, 2 cores): the load
/// alone 870 ms, the job alone 805 ms, both 1,538 ms, the target 1,306 ms, and the read under it for 120 s once
/// throttled. So is a throttled phase in which, after the first cut, the job is back at full size under the load with
/// every decision and the prober's read under the target (CI, the suite alone: the control 161 ms beside the load, the
/// target 143 ms, then 126 ms with the job at full size). `scripts/test` runs this suite alone after the others (the
/// latencies it compares are the machine's).
struct ThrottleRecoveryIntegrationTests {
    /// The largest batch to begin with: at `cost` per item, 100 to 400 ms on a loaded 2-core machine, many times a
    /// quiet read. The calibration scales it so that a batch holds the read about as long as a scan (see `calibrate`).
    static let initialBatchSize = 1_250
    static let cost = 1_600
    /// Enough for three rounds of calibrations, the load and 30 s back at full speed (a million ran out on a quiet
    /// machine at 15,000 items/s after three calibrations): the test stops the job.
    static let nodes = 3_000_000
    /// One scan over these takes about as long as a batch of `initialBatchSize`.
    static let loadNodes = 250_000
    static let windowAge = Duration.seconds(6)
    /// Calibrations go on, the job paused between them, while they are inconclusive and this has not passed.
    static let calibrationBudget = Duration.seconds(150)
    /// Calibrations whose load, once the job is throttled, may fail to take the read over their target before the
    /// test fails.
    static let rounds = 3

    /// The job at its largest batch whatever the latency: a target no read reaches.
    static func unthrottled(batchSize: Int) -> ThrottleConfiguration {
        configuration(target: .seconds(3_600), maxBatchSize: batchSize, minBatchSize: batchSize)
    }

    /// No pause between batches: the job's next batch is queued as soon as the last committed, so the application's
    /// read waits for one whenever the job runs. A step adds 8% of the largest batch every half second, about a batch's
    /// time: the controller steps up only once the window is clean, so the step does not decide how long a window
    /// stays under the target, only how soon the rate, nearly flat from half the largest batch up, is back once the
    /// load stops (about 4 s from half the largest batch, once the load's reads have left the 6 s window).
    static func configuration(target: Duration, maxBatchSize: Int, minBatchSize: Int? = nil) -> ThrottleConfiguration {
        ThrottleConfiguration(
            targetP99: target,
            // Far above: the job slows down, it never pauses.
            criticalP99: target * 10,
            minBatchSize: minBatchSize ?? max(1, maxBatchSize / 25),
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

    /// A time window always open that pauses the job: no batch runs while the load is measured alone.
    static let hold = try! ThrottleSchedule(parsingLines: "calibration = daily 00:00-24:00 UTC: pause")

    /// What a conclusive calibration measured: the target and the rates it is judged by.
    struct Calibration {
        var batchSize: Int
        var target: Duration
        var calmRate: Double
        var controlRate: Double
        /// The unthrottled job's items per scan of the load: its share of the server's one thread, whatever the
        /// machine's pace.
        var controlShare: Double
    }

    @Test func theProbeComesBackUnderTargetAndTheRateRecoversAfterTheLoad() async throws {
        try await PrivateGraphServer.withPrivateFalkorDB(threads: 1) { graph in
            try await JobStoreTestDatabase.withStore { store in
                try await run(on: graph.server, store: store)
            }
        }
    }

    private func run(on server: BoltTestServer, store: JobStore) async throws {
        print("RAN \(#function) on \(server) (THREAD_COUNT 1)")
        let begin = ContinuousClock.now
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
        print("seeded in \(ContinuousClock.now - begin)")
        // A scan after another, without a pause: a read waits for the one in progress, and beside the job for a batch too.
        let load = Load { try await GraphLoad(on: server, label: loadLabel, threads: 1, think: .zero) }

        // The job starts held by a window, at full speed whatever the latency once the window is gone.
        let settings = TestSetting(Self.unthrottled(batchSize: Self.initialBatchSize))
        let schedule = TestSetting(Self.hold)
        let pacer = try BatchPacer(
            configuration: settings.current,
            schedule: { schedule.current },
            reload: { settings.current }
        )
        let logger = Logger(label: "sluice.test.throttle-recovery") { _ in SwiftLogNoOpLogHandler() }
        // The requested size bounds the throttle's: room for the calibration to scale the batch up.
        let lease = try await job.claim(in: store, batchSize: Self.initialBatchSize * 2)
        let connection = try await server.connect()
        let runner = job.runner(store: store, connection: connection, pacer: pacer, logger: logger)
        let probe = job.probe(interval: .milliseconds(100), timeout: .seconds(10), logger: logger)
        let running = Task { try await job.run(runner, lease, probe: probe) }
        do {
            var attempt = 0
            var rounds = 1
            var roundBegin = ContinuousClock.now
            while true {
                attempt += 1
                if let calibration = try await calibrate(
                    job: job,
                    prober: prober,
                    settings: settings,
                    schedule: schedule,
                    load: load
                ) {
                    let recovered = try await recover(
                        job: job,
                        prober: prober,
                        settings: settings,
                        calibration: calibration,
                        load: load
                    )
                    if recovered { break }
                    guard rounds < Self.rounds else {
                        throw TestFailure(
                            "in \(rounds) calibrations the load beside the throttled job never took the read over the "
                                + "target the control had: the machine's pace moved between each control and its load"
                        )
                    }
                    rounds += 1
                    roundBegin = ContinuousClock.now
                    settings.set(Self.unthrottled(batchSize: calibration.batchSize))
                    try await holdJob(job, schedule: schedule)
                    continue
                }
                guard ContinuousClock.now - roundBegin < Self.calibrationBudget else {
                    throw TestFailure(
                        "\(attempt) calibrations in \(ContinuousClock.now - begin) were inconclusive: the machine "
                            + "stalled the reads more than the job and the load together slowed them"
                    )
                }
            }
            // Cancelled mid-batch, the run may end with its connection's error: how it stops is not this test's.
            running.cancel()
            _ = await running.result
            await connection.close()
            print("test body took \(ContinuousClock.now - begin)")
        } catch {
            let now = ContinuousClock.now
            print(
                "failed \(now - begin) after the start: the job's last report \(job.latest.map { now - $0.at } ?? .zero) "
                    + "ago, the prober's last read \(prober.latest.map { now - $0.at } ?? .zero) ago"
            )
            _ = try? await load.off()
            running.cancel()
            _ = await running.result
            await connection.close()
            throw error
        }
    }

    /// One calibration, the load running and the job held: the read's latency under the load alone, beside the job
    /// alone at full speed (unthrottled), and under both (the control). Nil, the job held again, when the control
    /// cannot be told from either alone.
    private func calibrate(
        job: ThrottleTestJob,
        prober: ApplicationProber,
        settings: TestSetting<ThrottleConfiguration>,
        schedule: TestSetting<ThrottleSchedule>,
        load: Load
    ) async throws -> Calibration? {
        // The load alone.
        try await load.on()
        let warm = try await prober.waitForSamples(10, after: .now)
        let aloneEnd = try await prober.waitForSamples(40, after: warm)
        let alone = try #require(prober.statistics(from: warm, through: aloneEnd))
        try await load.off()

        // The job alone at full speed, unthrottled: its rate and the read's latency beside it. A read waits for the
        // batch in progress as it waits for the scan; when one holds it much longer than the other, the control adds
        // little to the longer (a machine that runs FalkorDB's thread slower moves a batch and a scan apart), so the
        // batch is scaled once, within half and twice the first size (a median of 40 reads on a loaded machine can be
        // off by half: in a run one scaling took the batch from 930 to 2,758 items), by the medians (a read waits half a scan or a batch at the median; their p99s, the
        // third highest of 40 reads, move by half with the machine's stalls) and measured again.
        schedule.set(ThrottleSchedule())
        var batchSize = settings.current.maxBatchSize
        var (calm, calmRate) = try await measureCalm(job: job, prober: prober, batchSize: batchSize)
        let balance = alone.p50 / calm.p50
        if balance < 0.75 || balance > 1.33 {
            let scaled = min(
                max(Int(Double(batchSize) * balance), Self.initialBatchSize / 2),
                Self.initialBatchSize * 2
            )
            print(
                "calibration: read beside the job alone at \(batchSize) items a batch \(describe(calm)), "
                    + "under the load alone \(describe(alone)): batches of \(scaled) items"
            )
            batchSize = scaled
            settings.set(Self.unthrottled(batchSize: batchSize))
            (calm, calmRate) = try await measureCalm(job: job, prober: prober, batchSize: batchSize)
        }
        print(
            "calibration: read under the load alone \(describe(alone)); beside the job alone at "
                + "\(batchSize) items a batch \(describe(calm)), \(perSecond(calmRate))"
        )

        // The control: the load plus the unthrottled job take the read above the target.
        try await load.on()
        let controlWarm = try await prober.waitForSamples(5, after: .now)
        let controlFrom = tally(job, load)
        let controlEnd = try await prober.waitForSamples(40, after: controlWarm)
        let controlShare = controlFrom.itemsPerScan(until: tally(job, load))
        let control = try #require(prober.statistics(from: controlWarm, through: controlEnd))
        let controlRate = try #require(rate(of: job, from: controlWarm, through: controlEnd))
        try await load.off()
        // The target is 1.5 times the higher p99 alone: the job runs at full speed while calm, and a read behind a scan
        // and a small batch stays under it. Not nearer the control's: a stall of the machine during the control raised
        // its p99 in a run, the target with it, and the throttled job ran under it nearly at full speed. A control under
        // 1.1 times the target, or whose median is not 1.25 times either alone, shows too little of the job's effect
        // (inconclusive).
        let apart = max(alone.p50, calm.p50)
        let aloneP99 = max(alone.sustainedP99, calm.sustainedP99)
        let target = aloneP99 * 1.5
        guard control.p50 >= apart * 1.25, control.sustainedP99 >= target * 1.1 else {
            print(
                "calibration inconclusive, again with the job held: the load and the full-speed job together "
                    + "\(describe(control)): median not 1.25 times either alone (\(ms(apart))), or p99 not 1.1 times "
                    + "the target \(ms(target))"
            )
            try await holdJob(job, schedule: schedule)
            return nil
        }
        print(
            "control: read under the load beside the full-speed job \(describe(control)), "
                + "\(perSecond(controlRate)), \(Int(controlShare)) items a scan; target \(ms(target))"
        )
        return Calibration(
            batchSize: batchSize,
            target: target,
            calmRate: calmRate,
            controlRate: controlRate,
            controlShare: controlShare
        )
    }

    /// Holds the job by the always-open pause window until it says it is paused.
    private func holdJob(_ job: ThrottleTestJob, schedule: TestSetting<ThrottleSchedule>) async throws {
        schedule.set(Self.hold)
        let held = ContinuousClock.now
        _ = try await job.waitFor("the job held", timeout: .seconds(120)) {
            $0.at > held && $0.progress.throttle?.state == .paused
        }
    }

    /// Waits for batches of `batchSize`, then measures the job's rate over 6 s of them and the read's latency beside
    /// them.
    private func measureCalm(
        job: ThrottleTestJob,
        prober: ApplicationProber,
        batchSize: Int
    ) async throws -> (LatencyStatistics, Double) {
        let asked = ContinuousClock.now
        let start = try await job.waitFor("full batches", timeout: .seconds(300)) {
            $0.at > asked && $0.progress.committedBatch && $0.progress.batchSize == batchSize
        }
        let rate = try await job.rate(over: .seconds(6), after: start)
        _ = try await prober.waitForSamples(40, after: start.at)
        return (try #require(prober.statistics(from: start.at, through: .now)), rate)
    }

    /// Throttled: the job comes back to full speed while calm, the load starts, the job's rate drops, the read's p99
    /// comes back under the target while batches still commit; the load stops, and the rate comes back. False, the
    /// load stopped, when the load beside the full-speed job kept the read under the target for as long as the
    /// pacer's window and more: the control did not hold (the machine's pace had moved since), and the controller is
    /// right not to cut.
    private func recover(
        job: ThrottleTestJob,
        prober: ApplicationProber,
        settings: TestSetting<ThrottleConfiguration>,
        calibration: Calibration,
        load: Load
    ) async throws -> Bool {
        let target = calibration.target
        let batchSize = calibration.batchSize
        settings.set(Self.configuration(target: target, maxBatchSize: batchSize))
        let switched = ContinuousClock.now
        // The window still holds the control's reads: the first decision under the target slows the job down.
        let cut = try await job.waitFor("the first decision under the target", timeout: .seconds(60)) {
            $0.at > switched && $0.progress.throttle?.state == .throttled
        }
        let fullSpeed = try await job.waitFor("full speed under the target while calm", timeout: .seconds(180)) {
            $0.at > cut.at && $0.progress.committedBatch && $0.progress.throttle?.state == .running
                && $0.progress.batchSize == batchSize
        }
        print("throttled, calm: full speed \(fullSpeed.at - cut.at) after the control's reads slowed it down")

        // The load starts mid-job.
        try await load.on()
        let loadStart = ContinuousClock.now
        guard
            let slowed = try await waitForCut(
                job,
                prober: prober,
                under: target,
                batchSize: batchSize,
                after: loadStart
            )
        else {
            try await load.off()
            return false
        }
        // Back under the target: a window whose every sample came under the load (the decision before a batch saw the
        // window as of then: a batch and its pause take at most a few seconds), with a batch committed after the first
        // smaller one (the job progresses; a cut that came late can come with the window already under the target).
        let settled = max(loadStart + Self.windowAge + .seconds(3), slowed.at)
        let pacerUnder = try await job.waitFor("the job's probe p99 under \(ms(target))", timeout: .seconds(150)) {
            $0.at > settled && $0.progress.committedBatch
                && ($0.progress.throttle?.latency).map { $0.sustainedP99 < target && $0.count >= 10 } == true
        }
        let proberUnder = try await waitForProber(prober, under: target, after: loadStart, timeout: .seconds(150))
        #expect(pacerUnder.progress.done > slowed.progress.done, "the job progresses under the load")
        // Its share of the server, not its rate: the machine's pace moves a rate more between two phases than the
        // throttle does (in a run the throttled job under the load measured 6,005 items/s, the unthrottled one 4,250).
        let underFrom = tally(job, load)
        let underLoadRate = try await job.rate(over: .seconds(6), after: pacerUnder)
        let underLoadShare = underFrom.itemsPerScan(until: tally(job, load))
        let loadEnd = ContinuousClock.now
        let underLoad = job.reports.withLock { reports in
            reports.filter { $0.at > pacerUnder.at && $0.progress.committedBatch }
        }
        let underShare = underLoad.filter { ($0.progress.throttle?.latency?.sustainedP99 ?? target) < target }
        // Back at full size under the load, every decision and the prober's read under the target: the load beside the
        // full-speed job no longer takes the read over the target the control had, and the throttle is right not to
        // slow the job. The machine's pace moved since the calibration (CI, alone: the control 161 ms, the job at full
        // size beside the load 126 ms against a target of 143 ms): inconclusive, calibrated again.
        let proberUnderLoad = prober.statistics(from: pacerUnder.at, through: loadEnd)
        if underLoadShare >= calibration.controlShare * 0.75, !underLoad.isEmpty, underShare.count == underLoad.count,
            let read = proberUnderLoad, read.sustainedP99 < target
        {
            print(
                "calibration moved: under the load the full-speed job kept the read under \(ms(target)) "
                    + "(\(describe(read)), \(Int(underLoadShare)) items a scan); calibrating again"
            )
            try await load.off()
            return false
        }
        // A job the throttle does not slow down commits a batch a scan, as in the control (a controller that never
        // cut measured 924 items a scan against the control's 943, and its read's p99 came under the target all the
        // same: the machine's noise moves a p99 by a third between phases); the throttled ones, 2% to 36% of it.
        #expect(
            underLoadShare < calibration.controlShare * 0.75,
            "the throttled job commits at most 3/4 of the unthrottled one's items a scan under the load"
        )
        print(
            "load on: batches smaller after \(slowed.at - loadStart) (\(slowed.progress.batchSize)); "
                + "job's probe p99 under the target \(pacerUnder.at - loadStart) after the load started "
                + "(\(describe(pacerUnder.progress.throttle?.latency))), prober's \(proberUnder.at - loadStart) "
                + "(\(describe(proberUnder.statistics))); then \(perSecond(underLoadRate)), \(Int(underLoadShare)) items a "
                + "scan (unthrottled \(perSecond(calibration.controlRate)), \(Int(calibration.controlShare))), "
                + "\(underShare.count) of \(underLoad.count) decisions under the target, prober "
                + "\(describe(proberUnderLoad))"
        )

        // The load stops: back to 90% of the unthrottled rate within 30 s.
        let stopped = try await load.off()
        let loadStop = ContinuousClock.now
        let bound = Duration.seconds(30)
        var recovered = try await waitForRate(job, atLeast: calibration.calmRate * 0.9, after: loadStop, within: bound)
        var unthrottledAfter: Double?
        if recovered.after == nil {
            // The machine's pace moves the full-speed rate by more than 10% between phases a minute apart (in a run
            // 5,743 items/s at its best against 6,863 measured in the calibration): the unthrottled rate again, right
            // after the 30 s, and the 30 s judged against that too.
            settings.set(Self.unthrottled(batchSize: batchSize))
            let asked = ContinuousClock.now
            let start = try await job.waitFor("unthrottled batches", timeout: .seconds(60)) {
                $0.at > asked && $0.progress.committedBatch
            }
            let rate = try await job.rate(over: .seconds(6), after: start)
            unthrottledAfter = rate
            recovered = try await waitForRate(job, atLeast: rate * 0.9, after: loadStop, within: bound)
        }
        // What held the rate back meanwhile: each cut after the load stopped, with its reason.
        let cuts = job.reports.withLock { reports in
            zip(reports, reports.dropFirst()).filter { previous, next in
                next.at > loadStop && next.at <= loadStop + (recovered.after ?? bound)
                    && next.progress.batchSize < previous.progress.batchSize
            }
            .map { "\($0.1.at - loadStop): \($0.1.progress.throttle.map { "\($0.reason)" } ?? "")" }
        }
        let reached: String = recovered.after.map { "\($0) after the load stopped" } ?? "not reached within \(bound)"
        let again: String = unthrottledAfter.map { ", \(perSecond($0)) measured again after" } ?? ""
        let held: String = cuts.isEmpty ? "none" : cuts.joined(separator: "; ")
        print(
            "load off (\(stopped)): best \(perSecond(recovered.best)) over 4 s, 90% of the unthrottled rate \(reached) "
                + "(unthrottled \(perSecond(calibration.calmRate))\(again), under the load \(perSecond(underLoadRate))); "
                + "cuts meanwhile: \(held)"
        )
        #expect(recovered.after != nil, "the job's rate back to 90% of its unthrottled rate within \(bound)")
        return true
    }

    /// Waits for the controller's first cut under the load: the committed batch after it. Nil when none came and
    /// the read stayed under the target, by the prober's samples of the last `windowAge`, all taken under the load,
    /// for 10 s after the load's reads filled the window: the controller is right not to cut. A controller that never
    /// cuts while the read is over the target fails after 120 s.
    private func waitForCut(
        _ job: ThrottleTestJob,
        prober: ApplicationProber,
        under target: Duration,
        batchSize: Int,
        after loadStart: ContinuousClock.Instant
    ) async throws -> ThrottleTestJob.Report? {
        let deadline = loadStart + .seconds(120)
        var underSince: ContinuousClock.Instant?
        while ContinuousClock.now < deadline {
            if let ending = job.ending.withLock({ $0 }) {
                throw TestFailure("the run ended (\(ending)) while waiting for smaller batches under the load")
            }
            let cut = job.reports.withLock { reports in
                reports.last {
                    $0.at > loadStart && $0.progress.committedBatch && $0.progress.throttle?.state == .throttled
                        && $0.progress.batchSize < batchSize
                }
            }
            if let cut { return cut }
            let now = ContinuousClock.now
            if let probed = proberWindow(prober, after: loadStart, under: target), probed.under {
                let since = underSince ?? now
                underSince = since
                if now - since >= .seconds(10) {
                    print(
                        "calibration did not hold: the load beside the full-speed job kept the read under the target "
                            + "\(ms(target)) for \(now - since) (\(describe(probed.window))); calibrating again"
                    )
                    return nil
                }
            } else {
                underSince = nil
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        throw TestFailure(
            "no smaller batches within 120 s of the load's start: \(describe(job.latest?.progress.throttle?.latency))"
        )
    }

    /// The competing load, started and stopped as the test goes; one at a time.
    private final class Load: Sendable {
        private let start: @Sendable () async throws -> GraphLoad
        private let current = Mutex<GraphLoad?>(nil)

        init(_ start: @escaping @Sendable () async throws -> GraphLoad) { self.start = start }

        func on() async throws {
            let started = try await start()
            current.withLock { $0 = started }
        }

        /// The scans the running load has ended so far; 0 when none runs.
        var scans: Int { current.withLock { $0 }?.queries ?? 0 }

        /// Stops the load if it runs; what it printed.
        @discardableResult
        func off() async throws -> String {
            let running = current.withLock { current in
                defer { current = nil }
                return current
            }
            return try await running?.stop() ?? ""
        }
    }

    /// The job's items done and the load's scans ended, at one instant.
    private struct Tally {
        var items: Int64
        var scans: Int

        /// The items done per scan ended from this tally to `end`.
        func itemsPerScan(until end: Tally) -> Double {
            Double(end.items - items) / Double(max(1, end.scans - scans))
        }
    }

    private func tally(_ job: ThrottleTestJob, _ load: Load) -> Tally {
        Tally(items: job.latest?.progress.done ?? 0, scans: load.scans)
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

    /// The prober's reads over the last ``windowAge``, once that long has passed since `start`, and whether the
    /// read is under `target` there: a sustained p99 under it over at least 10 reads.
    private func proberWindow(
        _ prober: ApplicationProber,
        after start: ContinuousClock.Instant,
        under target: Duration
    ) -> (window: LatencyStatistics, under: Bool)? {
        let now = ContinuousClock.now
        guard now - Self.windowAge > start, let window = prober.statistics(from: now - Self.windowAge, through: now)
        else { return nil }
        return (window, window.count >= 10 && window.sustainedP99 < target)
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
            if let probed = proberWindow(prober, after: start, under: target) {
                last = probed.window
                if probed.under { return (ContinuousClock.now, probed.window) }
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw TestFailure(
            "the prober's p99 stayed above \(ms(target)) for \(timeout) under the load; last: \(describe(last))"
        )
    }

    /// Polls the job's reports until its rate over 4 s of batches, all committed after `start`, reaches `rate` in a
    /// span ending within `bound` of `start`: when that span ended (nil when none did once `bound` has passed), and the
    /// best rate of such a span.
    private func waitForRate(
        _ job: ThrottleTestJob,
        atLeast rate: Double,
        after start: ContinuousClock.Instant,
        within bound: Duration
    ) async throws -> (after: Duration?, best: Double) {
        var best = 0.0
        while true {
            let batches = job.reports.withLock { $0.filter { $0.at > start && $0.progress.committedBatch } }
            for end in batches where end.at <= start + bound {
                guard let first = batches.last(where: { $0.at <= end.at - .seconds(4) }) else { continue }
                let measured = Double(end.progress.done - first.progress.done) / ((end.at - first.at) / .seconds(1))
                best = max(best, measured)
                if measured >= rate { return (end.at - start, measured) }
            }
            if ContinuousClock.now > start + bound + .seconds(2) { return (nil, best) }
            try await Task.sleep(for: .milliseconds(200))
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
