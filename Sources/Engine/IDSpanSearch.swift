/// Finds the span `lowest...highest` of the ids a server holds at or above a start, by asking only whether it holds
/// any id within a range.
///
/// Planning by id windows needs the span the windows cover. Aggregating it (`min(id(n))`, `max(id(n))`) reads every
/// node: 0.46 s at a million FalkorDB nodes. Whether a range holds an id is a seek that ends at its first node (0.3 ms
/// there), and the span takes about `3 log2(highest - start)` of them: galloping up from the start to bracket the
/// highest id, then halving the bracket, then halving `start...highest` for the lowest. The answers may come in any
/// order the server finds its nodes: only whether there is one is asked.
public enum IDSpanSearch {
    /// Nil when no id at or above `start` is held. Ids are not negative (Neo4j's and FalkorDB's), nor is `start`.
    public static func span<Failure: Error>(
        from start: Int64,
        holdsAny: (ClosedRange<Int64>) async throws(Failure) -> Bool
    ) async throws(Failure) -> ClosedRange<Int64>? {
        precondition(start >= 0, "ids are not negative")
        guard try await holdsAny(start...Int64.max) else { return nil }
        // An id at or above `held` is held, none at or above `free`.
        var held = start
        var free: Int64
        var step: Int64 = 1
        while true {
            guard held < .max else { return try await lowest(from: start, through: .max, holdsAny: holdsAny) }
            let probe = held > .max - step ? .max : held + step
            guard try await holdsAny(probe...Int64.max) else {
                free = probe
                break
            }
            held = probe
            step = step > .max / 2 ? .max : step * 2
        }
        while free - held > 1 {
            let middle = held + (free - held) / 2
            if try await holdsAny(middle...Int64.max) { held = middle } else { free = middle }
        }
        return try await lowest(from: start, through: held, holdsAny: holdsAny)
    }

    /// `lowest...highest`, `highest` being held: the lowest id held at or above `start`, by halving.
    private static func lowest<Failure: Error>(
        from start: Int64,
        through highest: Int64,
        holdsAny: (ClosedRange<Int64>) async throws(Failure) -> Bool
    ) async throws(Failure) -> ClosedRange<Int64> {
        if try await holdsAny(start...start) { return start...highest }
        // `start...held` holds an id, `start...none` none.
        var none = start
        var held = highest
        while held - none > 1 {
            let middle = none + (held - none) / 2
            if try await holdsAny(start...middle) { held = middle } else { none = middle }
        }
        return held...highest
    }
}
