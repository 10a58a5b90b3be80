/// Plan entries read from the job store ahead of the batches that use them: one read of ``chunk`` entries serves
/// the next several batches, instead of a round trip to Postgres before every batch.
///
/// Safe because a complete plan never changes below its total: batches read only a complete plan, and the
/// catch-up re-plan only appends past the old total, which a read that ended there does not cover (a slice past
/// what is held is read again). The entries held are bounded by ``chunk`` (or one batch, when larger), whatever
/// the plan's size.
struct PlanReadAhead: Sendable {
    /// Entries read per round trip: at least the batch asked for.
    let chunk: Int
    /// The plan offset of `held.first`.
    private var start: Int64 = 0
    private var held: [Int64] = []

    init(chunk: Int) {
        self.chunk = max(1, chunk)
    }

    /// The `count` plan entries from `offset` (fewer where the plan ends): those held, else `read(offset, n)` of
    /// ``chunk`` or `count` entries, whichever is more, kept in place of those held.
    mutating func entries(
        offset: Int64,
        count: Int,
        read: (_ offset: Int64, _ count: Int) async throws(EngineError) -> [Int64]
    ) async throws(EngineError) -> [Int64] {
        let low = Int(clamping: offset - start)
        if offset >= start, count >= 0, low <= held.count, count <= held.count - low {
            return Array(held[low..<(low + count)])
        }
        held = try await read(offset, max(chunk, count))
        start = offset
        return Array(held.prefix(count))
    }
}
