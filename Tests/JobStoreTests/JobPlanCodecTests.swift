import Testing

@testable import JobStore

@Suite struct JobPlanCodecTests {
    @Test func packsLittleEndianAndRoundTrips() {
        let entries: [Int64] = [0, 1, -1, .max, .min, 0x0102_0304_0506_0708]
        let bytes = JobPlanCodec.pack(entries)
        #expect(bytes.count == 48)
        #expect(Array(bytes[40..<48]) == [8, 7, 6, 5, 4, 3, 2, 1])
        #expect(JobPlanCodec.unpack(bytes) == entries)
        #expect(JobPlanCodec.unpack([1, 2, 3]) == nil)
    }

    @Test func consecutiveEntriesAreStoredAsRunsWhenThatIsSmaller() throws {
        let dense = Array(Int64(1_000)..<6_000)
        let stored = JobPlanCodec.encode(dense)
        #expect(stored.runs && stored.bytes == JobPlanCodec.pack([1_000, 5_000]))
        // Gaps make more runs; still smaller than 16,000 entries listed.
        let gapped = Array(Int64(0)..<8_000) + Array(Int64(8_001)..<12_000) + [20_000] + Array(Int64(20_002)..<24_000)
        let runs = JobPlanCodec.encode(gapped)
        #expect(runs.runs && runs.bytes == JobPlanCodec.pack([0, 8_000, 8_001, 3_999, 20_000, 1, 20_002, 3_998]))
        // Every other id, or two in a row: listed (runs would not be smaller).
        let sparse = (Int64(0)..<1_000).map { $0 * 2 }
        #expect(JobPlanCodec.encode(sparse) == (false, JobPlanCodec.pack(sparse)))
        #expect(JobPlanCodec.encode([7, 8]) == (false, JobPlanCodec.pack([7, 8])))
        #expect(JobPlanCodec.encode([Int64]()) == (false, []))
        // A run does not wrap around past Int64.max; unsorted entries are runs as they come.
        #expect(JobPlanCodec.encode([.max - 2, .max - 1, .max]).bytes == JobPlanCodec.pack([.max - 2, 3]))
        let wrapped: [Int64] = [.max - 1, .max, .min, .min + 1]
        #expect(JobPlanCodec.encode(wrapped) == (false, JobPlanCodec.pack(wrapped)))
        #expect(JobPlanCodec.encode([5, 6, 7, 1, 2, 3]).bytes == JobPlanCodec.pack([5, 3, 1, 3]))
    }

    @Test func anySliceOfRunsReadsBackAsListed() throws {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<50 {
            // Runs of random lengths with random gaps between them.
            var entries: [Int64] = []
            var next = Int64.random(in: -1_000_000...1_000_000, using: &generator)
            while entries.count < 5_000 {
                let length = Int.random(in: 1...400, using: &generator)
                entries += (next..<(next + Int64(length)))
                next += Int64(length) + Int64.random(in: 1...50, using: &generator)
            }
            let stored = JobPlanCodec.encode(entries)
            try #require(stored.runs)
            for _ in 0..<20 {
                let skip = Int.random(in: 0...entries.count, using: &generator)
                let count = Int.random(in: 0...(entries.count - skip), using: &generator)
                let slice = stored.bytes.withUnsafeBytes {
                    JobPlanCodec.unpackRuns($0, total: entries.count, skip: skip, count: count)
                }
                #expect(slice == Array(entries[skip..<(skip + count)]))
            }
        }
    }

    @Test func malformedRunsAreRefused() {
        func read(_ pairs: [Int64], total: Int, skip: Int = 0, count: Int) -> [Int64]? {
            JobPlanCodec.pack(pairs).withUnsafeBytes {
                JobPlanCodec.unpackRuns($0, total: total, skip: skip, count: count)
            }
        }
        #expect(read([10, 5, 20, 5], total: 10, skip: 3, count: 4) == [13, 14, 20, 21])
        #expect(read([10, 5, 20, 5], total: 9, count: 9) == nil, "lengths add up to more than the chunk holds")
        #expect(read([10, 5, 20, 5], total: 11, count: 10) == nil, "lengths add up to less than the chunk holds")
        #expect(read([10, 0, 20, 10], total: 10, count: 10) == nil, "a run of no entries")
        #expect(read([10, -1, 20, 11], total: 10, count: 10) == nil, "a run of negative length")
        #expect(read([.max, 2], total: 2, count: 2) == nil, "a run past Int64.max")
        #expect(read([10, 5], total: 5, skip: 3, count: 3) == nil, "a range past the chunk's end")
        #expect(
            [UInt8](repeating: 0, count: 24).withUnsafeBytes {
                JobPlanCodec.unpackRuns($0, total: 1, skip: 0, count: 1)
            } == nil,
            "not whole runs"
        )
    }

    @Test func chunksAlignToTheChunkSize() {
        let size = JobPlanCodec.maximumChunkEntries
        let entries = (0..<Int64(size * 2 + 10)).map { $0 }
        let chunks = JobPlanCodec.chunks(entries, startingAt: 0)
        #expect(chunks.map(\.offset) == [0, Int64(size), Int64(2 * size)])
        #expect(chunks.map(\.entries.count) == [size, size, 10])
        // Appending at an unaligned offset first fills up to the next boundary.
        let appended = JobPlanCodec.chunks(Array(entries.prefix(size + 5)), startingAt: Int64(size - 3))
        #expect(appended.map(\.offset) == [Int64(size - 3), Int64(size), Int64(2 * size)])
        #expect(appended.map(\.entries.count) == [3, size, 2])
        #expect(JobPlanCodec.chunks([], startingAt: 7).isEmpty)
    }
}
