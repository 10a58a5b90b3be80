import Foundation
import JobStore
import Testing

/// Claims, leases and the one-job-per-graph rule, raced by independent processes.
///
/// The racing claimers are `psql` processes running the store's own claim statement
/// (`JobStoreStatements.claim`, prepared and executed verbatim): each is a separate OS process with its own
/// session, so the only thing arbitrating between them is Postgres, exactly as between daemons on different
/// hosts. psql is also a client that was not written here, so the test does not depend on our Swift layer being
/// right to prove the SQL right. (Re-executing the test binary as a worker would prove the same with more
/// machinery: SwiftPM gives test targets no helper executables.)
extension JobStoreIntegrationTests {
    @Test func processesRacingToClaimNeverGetTheSameJob() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let jobCount = 200
            let processCount = 8
            let claimsPerProcess = 40  // 320 attempts for 200 jobs: every job is claimed, some attempts find none
            for i in 0..<jobCount {
                _ = try await store.enqueue(JobStoreTestDatabase.request(target: "race-\(i)"))
            }
            // All processes start claiming at the same instant (Postgres's clock), to maximise contention.
            let startAt = try await store.connection.query(
                "SELECT (now() + interval '1.5 seconds')::text AS t"
            )[0].decode("t", as: String.self)
            var children: [JobStoreTestDatabase.Child] = []
            for p in 0..<processCount {
                var script = "PREPARE claim AS \(store.statements.claim);\n"
                script += "SELECT pg_sleep_until('\(startAt)') \\g /dev/null\n"
                for k in 0..<claimsPerProcess {
                    script += "EXECUTE claim('p\(p)-\(k)', 300);\n"
                }
                children.append(try JobStoreTestDatabase.psql(script))
            }
            let started = ContinuousClock.now
            var claims: [(job: Int64, worker: String, process: Int)] = []
            for (p, child) in children.enumerated() {
                let status = await child.wait()
                #expect(status == 0, "psql \(p) failed: \(child.standardError)")
                for line in child.standardOutput.split(separator: "\n") {
                    // previous_owner | previous_released | id | migration_version | ... | lease_owner (25th column)
                    let fields = line.split(separator: "|", omittingEmptySubsequences: false)
                    guard fields.count > 25, let id = Int64(fields[2]) else { continue }
                    claims.append((id, String(fields[25]), p))
                }
            }
            let elapsed = ContinuousClock.now - started
            let ids = claims.map(\.job)
            #expect(Set(ids).count == ids.count, "a job was claimed twice")
            #expect(ids.count == jobCount, "every job claimed exactly once")
            // The database agrees: each job is leased once (token 1) to the worker that reported it.
            let rows = try await store.connection.query(
                "SELECT id, lease_owner, lease_token, state FROM \(store.schema.quoted).jobs"
            )
            var owners: [Int64: String] = [:]
            for row in rows {
                #expect(try row.decode("lease_token", as: Int64.self) == 1)
                #expect(try row.decode("state", as: String.self) == "planning")
                owners[try row.decode("id")] = try row.decode("lease_owner")
            }
            for claim in claims { #expect(owners[claim.job] == claim.worker) }
            let perProcess = (0..<processCount).map { p in claims.filter { $0.process == p }.count }
            print(
                "claim race: \(processCount) psql processes, \(processCount * claimsPerProcess) claims for \(jobCount) jobs: "
                    + "\(ids.count) claimed, \(ids.count - Set(ids).count) duplicates, per process \(perProcess), "
                    + "\(Int(elapsed.milliseconds)) ms including the synchronized start"
            )
            #expect(perProcess.filter { $0 > 0 }.count > 1, "the claims interleaved between processes")
        }
    }

    @Test func killedLeaseHolderIsTakenOverAfterExpiryAndReclaimedAtOnceByItsOwnIdentity() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let statements = store.statements
            let a = try await store.enqueue(JobStoreTestDatabase.request(target: "kill-a"))

            // A worker process: claims with a 2 s lease and renews it every 250 ms, until it is killed.
            func holder(_ identity: String, lease: Int) throws -> JobStoreTestDatabase.Child {
                var script = "PREPARE claim AS \(statements.claim);\nPREPARE hb AS \(statements.heartbeat);\n"
                script += "EXECUTE claim('\(identity)', \(lease)) \\gset\n"
                for _ in 0..<400 {
                    script += "SELECT pg_sleep(0.25) \\g /dev/null\n"
                    script += "EXECUTE hb(:id, :lease_token, \(lease), NULL, NULL, NULL) \\g /dev/null\n"
                }
                return try JobStoreTestDatabase.psql(script)
            }

            let first = try holder("holder-1", lease: 2)
            #expect(try await eventually { try await store.job(a.id)?.leaseOwner == "holder-1" })
            let claimed = try #require(try await store.job(a.id))
            let heartbeat1 = try #require(claimed.heartbeatAt)
            #expect(try await eventually { (try await store.job(a.id)?.heartbeatAt ?? heartbeat1) > heartbeat1 })

            first.kill(SIGKILL)
            _ = await first.wait()
            let killedAt = ContinuousClock.now
            #expect(
                try await store.claim(worker: WorkerIdentity(rawValue: "other"), leaseDuration: .seconds(60)) == nil
            )

            var takeover: JobLease? = nil
            while takeover == nil, ContinuousClock.now - killedAt < .seconds(10) {
                takeover = try await store.claim(worker: WorkerIdentity(rawValue: "other"), leaseDuration: .seconds(60))
                if takeover == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let waited = ContinuousClock.now - killedAt
            let lease = try #require(takeover)
            #expect(lease.jobID == a.id)
            #expect(lease.token == claimed.leaseToken + 1)
            // Its holder was killed: a reclaim, not a job let go.
            #expect(lease.previousOwner == "holder-1" && !lease.previousReleased)
            #expect(waited < .seconds(3))
            print(
                "SIGKILLed lease holder (2 s lease): another worker took the job after \(Int(waited.milliseconds)) ms, token \(claimed.leaseToken) -> \(lease.token)"
            )

            // The dead holder's token is fenced off.
            let stale = JobLease(job: claimed, token: claimed.leaseToken, owner: "holder-1", duration: .seconds(2))
            await #expect(
                throws: JobStoreError.leaseLost(
                    job: a.id,
                    token: claimed.leaseToken,
                    currentToken: lease.token,
                    owner: "other"
                )
            ) {
                try await store.checkpoint(stale, JobCheckpoint(from: 0, to: 0, itemsChanged: 0))
            }
            await #expect(throws: JobStoreError.self) { try await store.heartbeat(stale) }
            _ = try await store.finish(lease, .succeeded)

            // Same identity after a crash: no waiting for the (60 s) lease to expire.
            let b = try await store.enqueue(JobStoreTestDatabase.request(target: "kill-b"))
            let second = try holder("holder-2", lease: 60)
            #expect(try await eventually { try await store.job(b.id)?.leaseOwner == "holder-2" })
            let held = try #require(try await store.job(b.id))
            second.kill(SIGKILL)
            _ = await second.wait()
            let crashedAt = ContinuousClock.now
            #expect(
                try await store.claim(worker: WorkerIdentity(rawValue: "other-2"), leaseDuration: .seconds(60)) == nil
            )
            // The restarted worker is a new process with the same identity.
            let restarted = try JobStoreTestDatabase.psql(
                "PREPARE claim AS \(statements.claim);\nEXECUTE claim('holder-2', 60);\n"
            )
            #expect(await restarted.wait() == 0, "\(restarted.standardError)")
            let reclaimedAfter = ContinuousClock.now - crashedAt
            let fields = restarted.standardOutput.split(separator: "\n").first?.split(
                separator: "|",
                omittingEmptySubsequences: false
            )
            let reclaimedID = try #require(fields.flatMap { Int64($0[2]) })
            let reclaimedToken = try #require(fields.flatMap { Int64($0[26]) })
            #expect(fields?.prefix(2) == ["holder-2", "f"], "previous owner, released: \(fields?.prefix(2) ?? [])")
            #expect(reclaimedID == b.id.rawValue)
            #expect(reclaimedToken == held.leaseToken + 1)
            #expect(reclaimedAfter < .seconds(2))
            print(
                "same identity restarted after SIGKILL (60 s lease): reclaimed in \(Int(reclaimedAfter.milliseconds)) ms, token \(held.leaseToken) -> \(reclaimedToken)"
            )
            let events = try await store.events(of: b.id).filter { $0.kind == .lease }
            #expect(events.map(\.newValue) == ["holder-2", "holder-2"])
        }
    }

    /// Two daemons under one worker identity (a configuration copied to a second host): the one that announced itself
    /// last keeps the identity, and the job store refuses the other every claim, its identity's own live lease included
    /// (they took the job from each other about once a second), until that one's row is gone or lapses. A restart
    /// after kill -9 is such a newcomer: it takes the identity over from its predecessor's row, still alive, at once.
    @Test func aWorkerIdentityIsOneLiveInstancesAndTheOtherClaimsNothing() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let identity = WorkerIdentity(rawValue: "copied/sluice.service")
            let first = WorkerInstance(worker: identity, process: "pid 1 on host-a")
            let second = WorkerInstance(worker: identity, process: "pid 2 on host-b")
            let url = "bolt://graph-i:7687"
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-i"))
            func announce(
                _ instance: WorkerInstance,
                alive: Duration = .seconds(60),
                first: Bool = false
            )
                async throws -> WorkerPresence?
            {
                try await store.announce(instance, serving: url, version: "0.1.0", aliveFor: alive, takingOver: first)
            }
            func claim(_ instance: WorkerInstance) async throws -> JobLease? {
                try await store.claim(as: instance, leaseDuration: .seconds(60), serving: url)
            }
            #expect(try await announce(first, first: true) == nil)
            let held = try #require(try await claim(first))

            // The second starts: as a restart after kill -9 would, it takes the identity, then the live lease, at once.
            #expect(try await announce(second, alive: .seconds(2), first: true) == nil)
            let taken = try #require(try await claim(second))
            #expect(taken.jobID == job.id && taken.token == held.token + 1 && !taken.previousReleased)
            // The first, alive, cannot take it back, even before its next announcement tells it why.
            #expect(try await claim(first) == nil)
            let other = try #require(try await announce(first))
            #expect(other.worker == identity && other.process == "pid 2 on host-b")
            #expect(try await claim(first) == nil)

            // The second's row lapses (killed, it no longer renews it): the first takes the identity and the job back.
            try await Task.sleep(for: .milliseconds(2_200))
            #expect(try await announce(first) == nil)
            let back = try #require(try await claim(first))
            #expect(back.jobID == job.id && back.token == taken.token + 1)
            // Now the second, were it alive, is the one refused; and its retirement leaves the first's row alone.
            #expect(try await announce(second)?.process == "pid 1 on host-a")
            #expect(try await claim(second) == nil)
            try await store.retire(second)
            #expect(try await store.liveWorkers().map(\.process) == ["pid 1 on host-a"])
            try await store.retire(first)
            #expect(try await store.liveWorkers().isEmpty)
        }
    }

    @Test func oneJobPerGraphHoldsUnderARace() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let graph = "graph-t"
            var queued: [JobID] = []
            for _ in 0..<10 { queued.append(try await store.enqueue(JobStoreTestDatabase.request(target: graph)).id) }
            _ = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-u"))
            let schema = store.schema.name
            var winners: [JobID] = []
            for round in 0..<5 {
                // Eight daemons, eight sessions, claiming at once.
                let leases = try await withThrowingTaskGroup(of: JobLease?.self) { group in
                    for worker in 0..<8 {
                        group.addTask {
                            let racer = try JobStore(JobStoreTestDatabase.configuration(schema: schema))
                            defer { Task { await racer.close() } }
                            return try await racer.claim(
                                worker: WorkerIdentity(rawValue: "racer-\(round)-\(worker)"),
                                leaseDuration: .seconds(60)
                            )
                        }
                    }
                    return try await group.reduce(into: [JobLease]()) { if let lease = $1 { $0.append(lease) } }
                }
                let onT = leases.filter { $0.job.target.url == "bolt://\(graph):7687" }
                #expect(onT.count == 1, "round \(round): \(onT.count) jobs claimed on one graph")
                #expect(leases.filter { $0.job.target.url == "bolt://graph-u:7687" }.count == (round == 0 ? 1 : 0))
                let active = try await store.jobs(states: [.planning, .running]).filter {
                    $0.target.url == "bolt://\(graph):7687"
                }
                #expect(active.count == 1)
                if let winner = onT.first {
                    winners.append(winner.jobID)
                    _ = try await store.finish(winner, .succeeded)
                }
            }
            #expect(winners == Array(queued.prefix(5)), "jobs on one graph run in the order they were queued")

            // Postgres itself refuses a second active job on the graph, whoever tries.
            let running = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "w"), leaseDuration: .seconds(60))
            )
            let other = try #require(try await store.jobs(states: [.queued]).first { $0.target == running.job.target })
            do {
                try await store.connection.query(
                    "UPDATE \(store.schema.quoted).jobs SET state = 'running', started_at = now() WHERE id = $1::bigint",
                    [other.id]
                )
                Issue.record("a second running job on one graph was accepted")
            } catch let error as PostgresError {
                #expect(error.sqlState == "23505")
                if case .queryFailed(_, _, _, let constraint, _) = error {
                    #expect(constraint == "jobs_one_active_per_target")
                }
            }
        }
    }

    /// `sluice run` claims the job it enqueued or found, and only when that one is due: an earlier job, due first on
    /// another graph or queued first on the same one, is neither claimed nor touched.
    @Test func claimingOneJobTakesThatJobOnlyWhenItIsDue() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let elsewhere = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-a"))
            let first = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-b", version: "001"))
            let second = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-b", version: "002"))
            let worker = WorkerIdentity(rawValue: "host/sluice-run")

            let claimed = try #require(try await store.claim(first.id, worker: worker, leaseDuration: .seconds(60)))
            #expect(claimed.jobID == first.id)
            #expect(try await store.job(elsewhere.id)?.state == .queued)
            #expect(try await store.job(elsewhere.id)?.attempts == 0)
            // Queued behind `first` on its graph, which now holds it.
            #expect(try await store.claim(second.id, worker: worker, leaseDuration: .seconds(60)) == nil)
            #expect(try await store.job(second.id)?.state == .queued)
            _ = try await store.finish(claimed, .succeeded)
            let next = try #require(try await store.claim(second.id, worker: worker, leaseDuration: .seconds(60)))
            #expect(next.jobID == second.id)
            #expect(try await store.job(elsewhere.id)?.state == .queued)
        }
    }

    /// Paused, then its worker died before letting the lease go, then cancelled: the cancel waits for a worker, and
    /// once the lease has expired the next claim takes the job to finish it as cancelled, where it held its graph
    /// for good (a paused job is claimed only when resumed, and a job with a cancel request cannot be resumed).
    @Test func aCancelOfAPausedJobWhoseWorkerDiedIsHonouredOnceTheLeaseExpires() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-p"))
            let dead = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "dies"), leaseDuration: .seconds(1))
            )
            _ = try await store.pause(job.id, by: "test")
            let cancelling = try await store.cancel(job.id, by: "test")
            #expect(cancelling.state == .paused && cancelling.cancelRequested)
            let other = WorkerIdentity(rawValue: "other")
            #expect(try await store.claim(worker: other, leaseDuration: .seconds(60)) == nil, "the lease is live")
            try await Task.sleep(for: .milliseconds(1_200))
            let lease = try #require(try await store.claim(worker: other, leaseDuration: .seconds(60)))
            #expect(lease.jobID == job.id && lease.job.cancelRequested && lease.token > dead.token)
            #expect(try await store.finish(lease, .cancelled).state == .cancelled)
        }
    }

    /// A job for `target` claimed by worker `w1`, planned (100 items), with a first checkpoint of `changed` items
    /// unless none.
    static func startedJob(_ store: JobStore, target: String, changing changed: Int64) async throws -> JobLease {
        let job = try await store.enqueue(JobStoreTestDatabase.request(target: target))
        let worker = WorkerIdentity(rawValue: "w1")
        let lease = try #require(try await store.claim(job.id, worker: worker, leaseDuration: .seconds(30)))
        try await store.storePlan(lease, entries: Array(0..<100))
        if changed > 0 {
            _ = try await store.checkpoint(lease, JobCheckpoint(from: 0, to: 20, itemsChanged: changed))
        }
        return lease
    }

    /// A job no worker holds that changed items is left to a live daemon serving its graph server, which claims it
    /// with its cancel pending and ends it in the graph too; it is cancelled at once when it changed nothing, when no
    /// daemon serves its server, or when that daemon's announcement has lapsed.
    @Test func aPausedJobThatChangedItemsIsLeftToALiveDaemonServingItsGraph() async throws {
        try await JobStoreTestDatabase.withStore { store in
            func paused(_ target: String, changing changed: Int64) async throws -> JobID {
                let lease = try await Self.startedJob(store, target: target, changing: changed)
                _ = try await store.pause(lease.jobID, by: "carol")
                try await store.release(lease)
                return lease.jobID
            }
            let served = try await paused("served", changing: 20)
            let untouched = try await paused("untouched", changing: 0)
            let unserved = try await paused("unserved", changing: 20)
            let lapsed = try await paused("lapsed", changing: 20)
            let serving = WorkerInstance(worker: WorkerIdentity(rawValue: "daemon-a"))
            for (instance, url, alive) in [
                (serving, "bolt://served:7687", Duration.seconds(60)),
                (WorkerInstance(worker: WorkerIdentity(rawValue: "daemon-b")), "bolt://untouched:7687", .seconds(60)),
                (WorkerInstance(worker: WorkerIdentity(rawValue: "daemon-c")), "bolt://lapsed:7687", .milliseconds(1)),
            ] {
                _ = try await store.announce(
                    instance,
                    serving: url,
                    version: "0.1.0",
                    aliveFor: alive,
                    takingOver: true
                )
            }
            try await Task.sleep(for: .milliseconds(50))
            let requested = try await store.cancel(served, by: "carol")
            #expect(requested.state == .paused && requested.cancelRequested, "\(requested.state)")
            for id in [untouched, unserved, lapsed] {
                let cancelled = try await store.cancel(id, by: "carol")
                #expect(cancelled.state == .cancelled, "job \(id): \(cancelled.state)")
            }
            // The daemon serving it claims it at once, with its cancel pending, and ends it.
            let lease = try #require(
                try await store.claim(as: serving, leaseDuration: .seconds(30), serving: "bolt://served:7687")
            )
            #expect(lease.jobID == served && lease.job.cancelRequested)
            #expect(try await store.finish(lease, .cancelled).state == .cancelled)
        }
    }

    /// A job that changed items and then ended cancelled (by its worker, or at once while paused) or failed without
    /// an entry of its own leaves a history entry, `partial` or `failed` with what it changed: the migration is then
    /// "partially applied" and its `down` accepted. One that changed nothing leaves none.
    @Test func aJobCancelledOrFailedAfterChangingItemsLeavesAHistoryEntry() async throws {
        try await JobStoreTestDatabase.withStore { store in
            func started(_ target: String, changing changed: Int64) async throws -> JobLease {
                try await Self.startedJob(store, target: target, changing: changed)
            }
            let byWorker = try await started("h1", changing: 20)
            _ = try await store.cancel(byWorker.jobID, by: "carol")
            _ = try await store.finish(byWorker, .cancelled)
            let whilePaused = try await started("h2", changing: 15)
            _ = try await store.pause(whilePaused.jobID, by: "carol")
            try await store.release(whilePaused)
            #expect(try await store.cancel(whilePaused.jobID, by: "carol").state == .cancelled)
            let failed = try await started("h3", changing: 7)
            _ = try await store.finish(failed, .failed("the migrations folder is invalid"))
            let untouched = try await started("h4", changing: 0)
            _ = try await store.finish(untouched, .cancelled)

            let history = try await store.history().sorted { ($0.job?.rawValue ?? 0) < ($1.job?.rawValue ?? 0) }
            #expect(history.map(\.job) == [byWorker.jobID, whilePaused.jobID, failed.jobID])
            #expect(history.map(\.status) == [.partial, .partial, .failed])
            #expect(history.map(\.items) == [20, 15, 7])
            #expect(history.allSatisfy { $0.appliedBy == "w1" && $0.direction == .up }, "\(history)")
        }
    }

    /// Batches growing after a start under a rate cap (each is recorded at once, the cap's pause comes after it): the
    /// rate is what was recorded over the time it took, pauses included, not one batch over the time since the last.
    @Test func theRateCountsThePausesBetweenGrowingBatches() async throws {
        try await JobStoreTestDatabase.withStore { store in
            _ = try await store.enqueue(JobStoreTestDatabase.request(target: "rate"))
            let lease = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "w"), leaseDuration: .seconds(30))
            )
            try await store.storePlan(lease, entries: Array(0..<1_000))
            let started = ContinuousClock.now
            var done: Int64 = 0
            for size: Int64 in [100, 200, 400] {
                _ = try await store.checkpoint(lease, JobCheckpoint(from: done, to: done + size, itemsChanged: size))
                done += size
                if size < 400 { try await Task.sleep(for: .milliseconds(500)) }
            }
            let elapsed = (ContinuousClock.now - started).seconds
            let rate = try #require(try await store.job(lease.jobID)?.rate)
            // 700 items in about a second: within a factor of two of that (the machine may be slow).
            print("rate \(Int(rate)) items/s for 700 items in \(elapsed) s")
            #expect(rate > 700 / elapsed / 2 && rate < 700 / elapsed * 2, "rate \(rate)")
        }
    }

    /// Right after a claim, under a rate cap (equal batches recorded at once, the cap's pause after each): the rate's
    /// window starts at the first checkpoint, as the daemon's STATUS= rate does, so it counts each batch with the pause
    /// before it and reads the cap. Started at the claim it counted the first batch with no pause: a third over here.
    @Test func rightAfterAClaimTheRateReadsACapAsTheDaemonDoes() async throws {
        try await JobStoreTestDatabase.withStore { store in
            _ = try await store.enqueue(JobStoreTestDatabase.request(target: "rate"))
            let lease = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "w"), leaseDuration: .seconds(30))
            )
            try await store.storePlan(lease, entries: Array(0..<1_000))
            _ = try await store.checkpoint(lease, JobCheckpoint(from: 0, to: 100, itemsChanged: 100))
            let first = ContinuousClock.now
            #expect(try await store.job(lease.jobID)?.rate == nil, "a rate after one batch")
            for done: Int64 in [100, 200, 300] {
                try await Task.sleep(for: .milliseconds(500))
                _ = try await store.checkpoint(lease, JobCheckpoint(from: done, to: done + 100, itemsChanged: 100))
            }
            let elapsed = (ContinuousClock.now - first).seconds
            let rate = try #require(try await store.job(lease.jobID)?.rate)
            // 300 items after the first batch's end, over the time since: 200 items/s if the machine keeps time.
            print("rate \(Int(rate)) items/s, 300 items in \(elapsed) s after the first batch")
            #expect(rate > 300 / elapsed * 0.85 && rate < 300 / elapsed * 1.15, "rate \(rate)")
            #expect(try await store.job(lease.jobID)?.batchAt != nil)
        }
    }

    @Test func pausedJobsKeepTheirGraphAndResumeWhereTheyWere() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let worker = WorkerIdentity(rawValue: "w1")
            let first = try await store.enqueue(JobStoreTestDatabase.request(target: "p"))
            let second = try await store.enqueue(JobStoreTestDatabase.request(target: "p"))
            let lease = try #require(try await store.claim(worker: worker, leaseDuration: .seconds(30)))
            #expect(lease.jobID == first.id && lease.job.state == .planning)
            try await store.storePlan(lease, entries: Array(0..<100))

            let paused = try await store.pause(first.id, by: "alice")
            #expect(paused.state == .paused)
            // The worker learns it at its next write, finishes the batch in flight, and lets go.
            let control = try await store.checkpoint(lease, JobCheckpoint(from: 0, to: 10, itemsChanged: 10))
            #expect(control.shouldStop && control.state == .paused && control.planDone == 10)
            try await store.release(lease)
            // A started, paused job keeps its graph: the next job on it waits.
            #expect(try await store.claim(worker: WorkerIdentity(rawValue: "w2"), leaseDuration: .seconds(30)) == nil)
            #expect(try await store.pause(first.id, by: "alice").state == .paused)  // idempotent

            let resumed = try await store.resume(first.id, by: "bob")
            #expect(resumed.state == .running)
            await #expect(throws: JobStoreError.invalidTransition(job: first.id, state: .running, action: "resume")) {
                try await store.resume(first.id, by: "bob")
            }
            let again = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "w2"), leaseDuration: .seconds(30))
            )
            #expect(again.jobID == first.id && again.job.planDone == 10 && again.token == lease.token + 1)
            #expect(again.isResumption)
            // Let go by its worker, not left behind by a crash.
            #expect(again.previousOwner == "w1" && again.previousReleased)

            // Cancel while a worker holds the lease is a request; the worker ends the job.
            let requested = try await store.cancel(first.id, by: "carol")
            #expect(requested.state == .running && requested.cancelRequested)
            let stop = try await store.heartbeat(again)
            #expect(stop.shouldStop && stop.cancelRequested)
            let cancelled = try await store.finish(again, .cancelled)
            #expect(cancelled.state == .cancelled && cancelled.finishedAt != nil)
            // Cancelling a queued job is immediate.
            #expect(try await store.cancel(second.id, by: "carol").state == .cancelled)
            #expect(try await store.cancel(second.id, by: "carol").state == .cancelled)

            let states = try await store.events(of: first.id).filter { $0.kind == .state }
            #expect(
                states.map(\.newValue) == [
                    "queued", "planning", "running", "paused", "running", "cancel requested", "cancelled",
                ]
            )
            #expect(states.map(\.actor) == ["test", "w1", "w1", "alice", "bob", "carol", "w2"])
        }
    }
}

/// `sluice run`'s job: inserted already leased to the run's worker, in the transaction of the enqueue, so that a
/// daemon's claim loop on the same store never takes it (before, the run enqueued the job and then claimed it, and a
/// daemon woken by the enqueue's NOTIFY claimed it in between).
extension JobStoreIntegrationTests {
    @Test func aJobEnqueuedLeasedIsHeldFromItsInsertAndRefusedAsAClaimIsWithNothingAdded() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let run = WorkerIdentity(rawValue: "host/sluice-run")
            let daemon = WorkerIdentity(rawValue: "daemon")
            let request = JobStoreTestDatabase.request(target: "graph-l")
            let lease = try #require(
                try await store.enqueue(request, exclusive: true, leasedTo: run, leaseDuration: .seconds(60))
            )
            #expect(lease.owner == run.rawValue && lease.job.leaseOwner == run.rawValue)
            #expect(lease.job.state == .planning && lease.token == 1 && lease.job.attempts == 1)
            #expect(!lease.isResumption && lease.previousOwner == nil && lease.job.enqueuedBy == "test")
            #expect(try await store.claim(worker: daemon, leaseDuration: .seconds(60)) == nil)
            #expect(try await store.claim(lease.jobID, worker: daemon, leaseDuration: .seconds(60)) == nil)
            _ = try await store.heartbeat(lease)
            // Queued by whoever asked for it, then leased by the worker: one transaction, as any claim logs it.
            let events = try await store.events(of: lease.jobID).map { [$0.kind.rawValue, $0.newValue, $0.actor] }
            #expect(
                events == [
                    ["state", "queued", "test"], ["lease", run.rawValue, run.rawValue],
                    ["state", "planning", run.rawValue],
                ],
                "\(events)"
            )

            // Refused as a claim of the job would be, and then the job was never added: the graph is held...
            let held = JobStoreTestDatabase.request(target: "graph-l", version: "008")
            #expect(try await store.enqueue(held, exclusive: true, leasedTo: run, leaseDuration: .seconds(60)) == nil)
            // ...or an earlier job is queued first on the graph.
            let earlier = try await store.enqueue(JobStoreTestDatabase.request(target: "graph-m", version: "001"))
            let behind = JobStoreTestDatabase.request(target: "graph-m", version: "002")
            #expect(try await store.enqueue(behind, exclusive: true, leasedTo: run, leaseDuration: .seconds(60)) == nil)
            #expect(Set(try await store.jobs().map(\.id)) == [lease.jobID, earlier.id])
            #expect(try await store.job(earlier.id)?.state == .queued)
            // `exclusive` as in a plain enqueue: a second unfinished job of the migration on the graph.
            await #expect(
                throws: JobStoreError.migrationAlreadyQueued(
                    migration: "007",
                    target: request.target,
                    existing: lease.jobID,
                    state: .planning
                )
            ) {
                try await store.enqueue(request, exclusive: true, leasedTo: run, leaseDuration: .seconds(60))
            }
            // Once the graph is free the next leased enqueue goes through.
            _ = try await store.finish(lease, .succeeded)
            let next = try #require(
                try await store.enqueue(held, exclusive: true, leasedTo: run, leaseDuration: .seconds(60))
            )
            #expect(next.job.migrationVersion == "008" && next.job.state == .planning)
        }
    }

    /// A claimer on a session of its own (a daemon's claim loop) claims without a pause while jobs are enqueued
    /// leased: it never gets one of them, and each is leased once, to the worker that enqueued it.
    @Test func aClaimLoopBesideLeasedEnqueuesNeverTakesTheirJobs() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let schema = store.schema.name
            let claimer = try JobStore(JobStoreTestDatabase.configuration(schema: schema))
            let loop = Task { () throws -> (attempts: Int, taken: [JobID]) in
                var attempts = 0
                var taken: [JobID] = []
                while !Task.isCancelled {
                    attempts += 1
                    if let lease = try await claimer.claim(
                        worker: WorkerIdentity(rawValue: "daemon"),
                        leaseDuration: .seconds(300)
                    ) {
                        taken.append(lease.jobID)
                    }
                }
                return (attempts, taken)
            }
            let run = WorkerIdentity(rawValue: "host/sluice-run")
            var leased: [JobID] = []
            for i in 0..<40 {
                let request = JobStoreTestDatabase.request(target: "leased-\(i)")
                let lease = try #require(
                    try await store.enqueue(request, exclusive: true, leasedTo: run, leaseDuration: .seconds(300))
                )
                leased.append(lease.jobID)
            }
            loop.cancel()
            let (attempts, taken) = try await loop.value
            await claimer.close()
            print("claim loop beside 40 leased enqueues: \(attempts) claims, \(taken.count) jobs taken")
            #expect(attempts > 1, "the claim loop ran")
            #expect(taken.isEmpty, "the claim loop took \(taken)")
            for id in leased {
                let owners = try await store.events(of: id).filter { $0.kind == .lease }.map(\.newValue)
                #expect(owners == [run.rawValue], "job \(id) leased to \(owners)")
            }
        }
    }

    /// Racing leased enqueues of different migrations on one graph: one gets the graph, the others get `nil` and add
    /// nothing (the loser of the partial unique index's race tries again, and then sees the winner).
    @Test func leasedEnqueuesRacingForOneGraphLeaveOneJob() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let schema = store.schema.name
            let leases = try await withThrowingTaskGroup(of: JobLease?.self) { group in
                for racer in 0..<8 {
                    group.addTask {
                        let store = try JobStore(JobStoreTestDatabase.configuration(schema: schema))
                        defer { Task { await store.close() } }
                        return try await store.enqueue(
                            JobStoreTestDatabase.request(target: "graph-r", version: String(format: "%03d", racer + 1)),
                            exclusive: true,
                            leasedTo: WorkerIdentity(rawValue: "run-\(racer)"),
                            leaseDuration: .seconds(60)
                        )
                    }
                }
                return try await group.reduce(into: [JobLease]()) { if let lease = $1 { $0.append(lease) } }
            }
            #expect(leases.count == 1, "\(leases.count) runs got the graph")
            let jobs = try await store.jobs()
            #expect(jobs.map(\.id) == leases.map(\.jobID), "\(jobs.map { ($0.id, $0.state) })")
        }
    }
}
