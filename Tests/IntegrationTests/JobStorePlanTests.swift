import Foundation
import JobStore
import Testing

/// Plans and checkpoints: the compact plan, read back by offset, and progress recorded exactly once.
extension JobStoreIntegrationTests {
    @Test func aMillionItemPlanIsStoredAndReadBackByOffset() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let job = try await store.enqueue(JobStoreTestDatabase.request(target: "plan"))
            let lease = try #require(
                try await store.claim(worker: WorkerIdentity(rawValue: "planner"), leaseDuration: .seconds(120))
            )
            #expect(lease.jobID == job.id)
            // Ids as a graph would hand them out: large, unordered, spread over the 64-bit range.
            let count = 1_000_000
            var generator = SplitMix64(seed: 7)
            let ids = (0..<count).map { _ in Int64(bitPattern: generator.next() >> 1) }

            let storeStarted = ContinuousClock.now
            let total = try await store.storePlan(lease, entries: ids)
            let storeTime = ContinuousClock.now - storeStarted
            #expect(total == Int64(count))

            let planned = try #require(try await store.job(job.id))
            #expect(planned.state == .running && planned.planTotal == Int64(count) && planned.planDone == 0)
            let plan = try #require(try await store.plan(of: job.id))
            #expect(plan.kind == .ids && plan.total == Int64(count) && plan.complete)

            // Read back all of it in batches of 10,000, as the engine will.
            let readStarted = ContinuousClock.now
            var readBack: [Int64] = []
            readBack.reserveCapacity(count)
            var offset: Int64 = 0
            while offset < Int64(count) {
                let slice = try await store.planEntries(of: job.id, offset: offset, count: 10_000)
                readBack.append(contentsOf: slice)
                offset += Int64(slice.count)
            }
            let readTime = ContinuousClock.now - readStarted
            #expect(readBack == ids)

            // One batch near the end costs what one near the start does.
            func timeSlice(at offset: Int64) async throws -> Duration {
                let started = ContinuousClock.now
                for _ in 0..<20 {
                    let slice = try await store.planEntries(of: job.id, offset: offset, count: 10_000)
                    #expect(slice.count == 10_000 && slice.first == ids[Int(offset)])
                }
                return (ContinuousClock.now - started) / 20
            }
            let early = try await timeSlice(at: 0)
            let late = try await timeSlice(at: 987_654)
            // A slice that straddles a chunk boundary, and one past the end.
            #expect(try await store.planEntries(of: job.id, offset: 65_530, count: 12) == Array(ids[65_530..<65_542]))
            #expect(try await store.planEntries(of: job.id, offset: 999_995, count: 100) == Array(ids[999_995...]))
            #expect(try await store.planEntries(of: job.id, offset: 2_000_000, count: 10).isEmpty)

            let chunks = try await store.connection.query(
                "SELECT count(*) AS n, sum(length(entries)) AS bytes FROM \(store.schema.quoted).plan_chunks"
            )[0]
            let chunkCount: Int = try chunks.decode("n")
            let bytes: Int64 = try chunks.decode("bytes")
            print(
                "1,000,000-item plan: stored in \(Int(storeTime.milliseconds)) ms as \(chunkCount) chunks (\(bytes / 1_048_576) MiB); "
                    + "read back in 100 slices of 10,000 in \(Int(readTime.milliseconds)) ms; "
                    + "one slice at offset 0: \(String(format: "%.2f", early.milliseconds)) ms, at 987,654: \(String(format: "%.2f", late.milliseconds)) ms"
            )
            #expect(chunkCount == 16)
            #expect(storeTime < .seconds(10))

            // Items created while the job ran come in late, after the planned ones, sorted.
            #expect(try await store.stagePlanItems(lease, items: [44, 42, 43, 42]) == 3)
            let newTotal = try await store.appendStagedLateArrivals(lease)
            #expect(newTotal == Int64(count + 3))
            #expect(
                try await store.planEntries(of: job.id, offset: Int64(count) - 1, count: 10) == [
                    ids[count - 1], 42, 43, 44,
                ]
            )
            let after = try #require(try await store.job(job.id))
            #expect(after.lateArrivals == 3 && after.planTotal == Int64(count + 3))
        }
    }

    /// A job enqueued and claimed (for two minutes), its streamed plan begun: where the plan tests start.
    static func planningJob(_ store: JobStore, target: String) async throws -> (Job, JobLease) {
        let job = try await store.enqueue(JobStoreTestDatabase.request(target: target))
        let lease = try #require(
            try await store.claim(worker: WorkerIdentity(rawValue: "planner"), leaseDuration: .seconds(120))
        )
        try await store.beginPlan(lease, kind: .ids)
        return (job, lease)
    }

    /// A million ids handed over unsorted in chunks of 100,000, some twice, as ArcadeDB's planning hands them over:
    /// staged as sorted runs and merged into one sorted plan without repeats.
    @Test func aMillionUnsortedItemsArePlannedSortedAndOnce() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let (job, lease) = try await Self.planningJob(store, target: "staged")
            var generator = SplitMix64(seed: 11)
            let ids = (0..<1_000_000).map { _ in Int64(bitPattern: generator.next() >> 1) }
            let started = ContinuousClock.now
            for start in stride(from: 0, to: ids.count, by: 100_000) {
                // Each chunk also repeats the previous chunk's first ten ids.
                let repeated = start == 0 ? [] : ids[(start - 100_000)..<(start - 99_990)]
                try await store.stagePlanItems(lease, items: Array(ids[start..<(start + 100_000)] + repeated))
            }
            let staged = ContinuousClock.now - started
            #expect(try await store.completeStagedPlan(lease) == 1_000_000)
            let merged = ContinuousClock.now - started - staged
            let sorted = ids.sorted()
            var readBack: [Int64] = []
            for offset in stride(from: Int64(0), to: 1_000_000, by: 100_000) {
                readBack += try await store.planEntries(of: job.id, offset: offset, count: 100_000)
            }
            #expect(readBack == sorted)
            let leftover = try await store.connection.query(
                "SELECT count(*) AS n FROM \(store.schema.quoted).plan_runs"
            )[0]
            #expect(try leftover.decode("n", as: Int.self) == 0, "the staged runs were not removed")
            print("1,000,000 unsorted items: staged as 10 runs in \(staged), merged into the plan in \(merged)")
            #expect(staged + merged < .seconds(30))
        }
    }

    @Test func sortedEntriesAreAppendedWithoutStagingAndOutOfOrderOnesRefused() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let (job, lease) = try await Self.planningJob(store, target: "sorted")
            // Appends of odd sizes, as id windows hand them over: chunks no longer start at multiples of 65,536.
            let first = Array(Int64(0)..<50_000).map { $0 * 3 }
            let second = Array(Int64(50_000)..<150_001).map { $0 * 3 }
            #expect(try await store.appendSortedPlanEntries(lease, entries: first) == 50_000)
            #expect(try await store.appendSortedPlanEntries(lease, entries: []) == 50_000)
            #expect(try await store.appendSortedPlanEntries(lease, entries: second) == 150_001)
            // Not above the last entry, or not ascending: refused, nothing appended.
            await #expect(throws: JobStoreError.self) {
                try await store.appendSortedPlanEntries(lease, entries: [450_000, 450_003])
            }
            await #expect(throws: JobStoreError.self) {
                try await store.appendSortedPlanEntries(lease, entries: [900_000, 899_999])
            }
            #expect(try await store.completeStagedPlan(lease) == 150_001)
            let all = first + second
            #expect(try await store.planEntries(of: job.id, offset: 0, count: 200_000) == all)
            #expect(try await store.planEntries(of: job.id, offset: 49_990, count: 20) == Array(all[49_990..<50_010]))
            #expect(try await store.planEntries(of: job.id, offset: 65_530, count: 12) == Array(all[65_530..<65_542]))
            #expect(try await store.job(job.id)?.state == .running)
            await #expect(throws: JobStoreError.self) {
                try await store.appendSortedPlanEntries(lease, entries: [1_000_000])
            }
        }
    }

    /// Ids as FalkorDB's planning hands them over (windows of consecutive ids, a few deleted): stored as runs, a few
    /// bytes per chunk, and read back by any slice as listed ids are.
    @Test func consecutiveIdsAreStoredAsRunsAndReadBackBySlice() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let (job, lease) = try await Self.planningJob(store, target: "runs")
            let deleted: Set<Int64> = [17, 65_535, 65_536, 300_000, 300_001, 300_002, 999_999]
            var ids = (Int64(0)..<1_000_000).filter { !deleted.contains($0) }
            // Every third id of the last 30,000: a chunk that stays listed.
            ids += (Int64(0)..<30_000).map { 2_000_000 + $0 * 3 }
            for start in stride(from: 0, to: ids.count, by: 50_000) {
                try await store.appendSortedPlanEntries(
                    lease,
                    entries: Array(ids[start..<min(start + 50_000, ids.count)])
                )
                if start == 0 {
                    await #expect(throws: JobStoreError.self, "an entry not above the last (of runs) is refused") {
                        try await store.appendSortedPlanEntries(lease, entries: [ids[49_999]])
                    }
                }
            }
            await #expect(throws: JobStoreError.self, "an entry not above the last (listed) is refused") {
                try await store.appendSortedPlanEntries(lease, entries: [2_089_997])
            }
            #expect(try await store.completeStagedPlan(lease) == Int64(ids.count))
            let chunks = try await store.connection.query(
                """
                SELECT count(*) FILTER (WHERE runs) AS runs,
                       count(*) FILTER (WHERE NOT runs AND first_offset + entry_count <= 999993) AS listed_dense,
                       count(*) FILTER (WHERE NOT runs) AS listed,
                       sum(length(entries)) FILTER (WHERE runs) AS bytes
                FROM \(store.schema.quoted).plan_chunks
                """
            )[0]
            // Every chunk of the consecutive ids is stored as runs (at most three: no chunk holds more than two of the
            // gaps), the every-third ids listed.
            let runChunks: Int = try chunks.decode("runs")
            #expect(try runChunks >= 16 && chunks.decode("listed_dense", as: Int.self) == 0)
            #expect(try chunks.decode("listed", as: Int.self) >= 1)
            #expect(try chunks.decode("bytes", as: Int.self) <= runChunks * 3 * JobPlanCodec.runBytes)

            var readBack: [Int64] = []
            for offset in stride(from: Int64(0), to: Int64(ids.count), by: 10_000) {
                readBack += try await store.planEntries(of: job.id, offset: offset, count: 10_000)
            }
            #expect(readBack == ids)
            // Slices across a gap, across the boundary of two run chunks, of a run chunk and a listed one, past the end.
            for (offset, count) in [(10, 20), (65_530, 12), (299_990, 30), (999_980, 40), (1_029_990, 100)] {
                let slice = try await store.planEntries(of: job.id, offset: Int64(offset), count: count)
                #expect(slice == Array(ids[offset..<min(offset + count, ids.count)]), "offset \(offset)")
            }
            // Items created while the job ran are appended after the runs, sorted.
            #expect(try await store.stagePlanItems(lease, items: [3_000_001, 3_000_000]) == 2)
            #expect(try await store.appendStagedLateArrivals(lease) == Int64(ids.count + 2))
            #expect(
                try await store.planEntries(of: job.id, offset: Int64(ids.count - 1), count: 5) == [
                    ids[ids.count - 1], 3_000_000, 3_000_001,
                ]
            )
        }
    }

    @Test func streamedPlansAndFencedExactlyOnceCheckpoints() async throws {
        try await JobStoreTestDatabase.withStore { store in
            let (job, lease) = try await Self.planningJob(store, target: "checkpoint")
            // Staged as a graph finds them, in any order and, within a chunk or across chunks, maybe twice; planned
            // sorted, once.
            #expect(try await store.stagePlanItems(lease, items: Array(115..<125).shuffled() + [117]) == 10)
            #expect(try await store.stagePlanItems(lease, items: Array(100..<115).shuffled() + [120]) == 16)
            #expect(try await store.stagePlanItems(lease, items: []) == 0)
            #expect(try await store.job(job.id)?.state == .planning)
            #expect(try await store.completeStagedPlan(lease) == 25)
            #expect(try await store.completeStagedPlan(lease) == 25, "a retried completion is not refused")
            #expect(try await store.planEntries(of: job.id, offset: 0, count: 25) == Array(100..<125))
            #expect(try await store.job(job.id)?.state == .running)
            #expect(try await store.planEntries(of: job.id, offset: 10, count: 10) == Array(110..<120))

            let control = try await store.checkpoint(
                lease,
                JobCheckpoint(from: 0, to: 10, itemsChanged: 9, itemsSkipped: 1, batchSize: 10)
            )
            #expect(control.planDone == 10 && !control.shouldStop && control.leaseRemainingSeconds > 25)
            // The reply was lost and the worker repeats the checkpoint: recognised, counted once.
            _ = try await store.checkpoint(lease, JobCheckpoint(from: 0, to: 10, itemsChanged: 9, itemsSkipped: 1))
            // A checkpoint that does not start where the job is (a lost or doubled batch) is refused.
            await #expect(throws: JobStoreError.checkpointConflict(job: job.id, expectedDone: 5, actualDone: 10)) {
                try await store.checkpoint(lease, JobCheckpoint(from: 5, to: 15, itemsChanged: 10))
            }
            await #expect(throws: JobStoreError.self) {
                try await store.checkpoint(lease, JobCheckpoint(from: 10, to: 26, itemsChanged: 16))
            }
            let throttle = JobThrottle(state: "reduced", reason: "p99 latency 480 ms above target 200 ms")
            _ = try await store.checkpoint(
                lease,
                JobCheckpoint(
                    from: 10,
                    to: 25,
                    itemsChanged: 14,
                    batchSize: 5_000,
                    throttle: throttle,
                    quarantined: [
                        QuarantinedItem(item: 117, planOffset: 17, error: "Text cannot be parsed to a Date: '5/1/24'")
                    ]
                )
            )
            let done = try #require(try await store.job(job.id))
            #expect(done.planDone == 25 && done.itemsChanged == 23 && done.itemsSkipped == 1 && done.batchesDone == 2)
            #expect(done.itemsQuarantined == 1 && done.currentBatchSize == 5_000 && done.throttle == throttle)
            let quarantine = try await store.quarantine(of: job.id)
            #expect(quarantine.map(\.item) == [117] && quarantine.first?.planOffset == 17)

            // Re-planning a job with progress would lose it.
            await #expect(throws: JobStoreError.self) { try await store.storePlan(lease, entries: [1]) }

            let history = MigrationHistoryEntry(
                migrationVersion: "007",
                migrationName: "normalized_name",
                checksum: "sha256:test",
                direction: .up,
                target: done.target,
                appliedBy: "planner",
                duration: .milliseconds(1_234),
                items: 23,
                status: .applied
            )
            let finished = try await store.finish(lease, .succeeded, history: history)
            #expect(finished.state == .succeeded && finished.leaseExpiresAt == nil)
            // Its plan is gone with it: never read again, and a billion ids must not stay behind.
            #expect(try await store.plan(of: job.id) == nil)
            // A repeated finish (reply lost) is recognised; a different one is not.
            #expect(try await store.finish(lease, .succeeded).state == .succeeded)
            let entries = try await store.history(target: done.target)
            #expect(entries.count == 1)
            #expect(entries.first?.job == job.id && entries.first?.duration == .milliseconds(1_234))
            #expect(entries.first?.status == .applied && entries.first?.items == 23)
            #expect(try await store.history(target: JobTarget(url: "bolt://elsewhere:7687")).isEmpty)

            let kinds = Set(try await store.events(of: job.id).map(\.kind))
            #expect(kinds == [.state, .lease, .throttle])
            #expect(try await store.countsByState()[.succeeded] == 1)
        }
    }
}

/// A small deterministic generator (SplitMix64), so the test's ids are the same on every run.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
