import Testing

@testable import Engine

@Suite struct PlanReadAheadTests {
    /// A plan of `total` entries, entry i being 10 * i, read as the job store reads it (fewer where it ends), and
    /// the reads it answered.
    final class Plan {
        var total: Int64
        var reads: [Range<Int64>] = []

        init(total: Int64) { self.total = total }

        func read(offset: Int64, count: Int) -> [Int64] {
            let range = offset..<min(total, offset + Int64(count))
            reads.append(range)
            return range.map { $0 * 10 }
        }
    }

    /// Batches of `sizes` (cycled) from `done` to the plan's end, as JobRunner reads them: the ids batched.
    func batches(
        _ plan: Plan,
        _ readAhead: inout PlanReadAhead,
        from done: Int64,
        sizes: [Int]
    ) async throws
        -> [Int64]
    {
        var done = done
        var batched: [Int64] = []
        var index = 0
        while done < plan.total {
            let count = Int(min(Int64(sizes[index % sizes.count]), plan.total - done))
            index += 1
            let ids = try await readAhead.entries(offset: done, count: count) { offset, count in
                plan.read(offset: offset, count: count)
            }
            #expect(ids.count == count)
            batched += ids
            done += Int64(ids.count)
        }
        return batched
    }

    @Test func oneReadServesSeveralBatchesAndEveryEntryComesOnceInOrder() async throws {
        let plan = Plan(total: 1_000)
        var readAhead = PlanReadAhead(chunk: 300)
        let ids = try await batches(plan, &readAhead, from: 0, sizes: [100])
        #expect(ids == (0..<1_000).map { $0 * 10 })
        // One read per three batches, the last short where the plan ends.
        #expect(plan.reads == [0..<300, 300..<600, 600..<900, 900..<1_000])
    }

    @Test func batchSizesChangingBetweenBatchesNeitherSkipNorRepeat() async throws {
        let plan = Plan(total: 10_007)
        var readAhead = PlanReadAhead(chunk: 1_000)
        let ids = try await batches(plan, &readAhead, from: 3, sizes: [700, 1, 2_500, 333, 999])
        #expect(ids == (3..<10_007).map { $0 * 10 })
    }

    @Test func aBatchLargerThanTheChunkIsReadWhole() async throws {
        let plan = Plan(total: 100)
        var readAhead = PlanReadAhead(chunk: 10)
        let ids = try await batches(plan, &readAhead, from: 0, sizes: [40])
        #expect(ids == (0..<100).map { $0 * 10 })
        #expect(plan.reads == [0..<40, 40..<80, 80..<100])
    }

    @Test func entriesPastAShortReadAreReadAgainOnceThePlanGrew() async throws {
        let plan = Plan(total: 50)
        var readAhead = PlanReadAhead(chunk: 100)
        #expect(try await batches(plan, &readAhead, from: 0, sizes: [30]) == (0..<50).map { $0 * 10 })
        // The catch-up re-plan appended late arrivals past the old total: they are read, not taken as missing.
        plan.total = 70
        #expect(try await batches(plan, &readAhead, from: 50, sizes: [30]) == (50..<70).map { $0 * 10 })
        #expect(plan.reads == [0..<50, 50..<70])
    }

    @Test func aResumeBeforeWhatIsHeldReadsAgain() async throws {
        let plan = Plan(total: 100)
        var readAhead = PlanReadAhead(chunk: 100)
        _ = try await readAhead.entries(offset: 50, count: 10) { plan.read(offset: $0, count: $1) }
        #expect(
            try await readAhead.entries(offset: 20, count: 5) { plan.read(offset: $0, count: $1) } == [
                200, 210, 220, 230, 240,
            ]
        )
        #expect(plan.reads == [50..<100, 20..<100])
    }
}
