import JobStore

/// The items a re-plan found that the job's plan lacks, so that the catch-up plans each of them once and none twice.
///
/// The re-plan reads every item that qualifies now. One the plan holds already is left out: changed and qualifying
/// still (a change that leaves its predicate true), or quarantined; planning it again would change it twice. The
/// rest came to qualify while the job ran, wherever its id lies: a node created with the id of a deleted one
/// (FalkorDB and Neo4j reuse ids), or one an application changed so that it qualifies now. The plan is read page by
/// page (``remove(planned:)``), in any order, so only the found items are held in memory. Where batches address id
/// ranges, an item inside the planned span may have been changed by the batch whose range holds it, planned or
/// not: only items outside the span are kept (``remove(inside:)``).
struct UnplannedItems {
    /// The found items, ascending, each once.
    private let found: [Int64]
    /// Whether the plan holds `found[i]`.
    private var planned: [Bool]
    /// How many of `found` the plan does not hold (as far as it has been read).
    private(set) var count: Int
    /// How many items the re-plan found.
    var foundCount: Int { found.count }

    init(found items: [Int64]) {
        found = items.sortedUnique()
        planned = Array(repeating: false, count: found.count)
        count = found.count
    }

    /// Leaves out the found items that `page`, a part of the plan, holds.
    mutating func remove(planned page: some Sequence<Int64>) {
        guard count > 0 else { return }
        for item in page {
            guard let index = position(of: item), !planned[index] else { continue }
            planned[index] = true
            count -= 1
        }
    }

    /// Leaves out the found items inside `span`: where batches address id ranges (``BatchStatement/Addressing/idRange``)
    /// a batch changes every item of its range that qualifies, planned or not, so only items outside the planned span
    /// are surely unchanged.
    mutating func remove(inside span: ClosedRange<Int64>) {
        for index in found.indices where !planned[index] && span.contains(found[index]) {
            planned[index] = true
            count -= 1
        }
    }

    /// The found items the plan does not hold, ascending.
    var items: [Int64] {
        zip(found, planned).compactMap { item, planned in planned ? nil : item }
    }

    private func position(of item: Int64) -> Int? {
        var low = 0
        var high = found.count
        while low < high {
            let middle = (low + high) / 2
            if found[middle] < item { low = middle + 1 } else { high = middle }
        }
        return low < found.count && found[low] == item ? low : nil
    }
}
