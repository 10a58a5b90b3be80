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
