/// Merges sorted runs of plan items into one ascending sequence without repeats, holding one page of each run: a
/// plan staged as one sorted run per chunk the graph handed over is completed in O(runs × page) memory, not O(plan).
///
/// A pure state machine (postgres-nio's style): ``next()`` says what to do, a page to read or an item to append, and
/// the caller does the IO and hands pages back with ``pageRead(_:run:)``. Each run must be ascending; an item in
/// several runs (a graph that handed it over twice) comes out once.
struct SortedRunMerge {
    enum Action: Equatable {
        /// Read items `[offset, offset + count)` of run `run` and hand them to ``SortedRunMerge/pageRead(_:run:)``.
        case read(run: Int, offset: Int, count: Int)
        /// The next item of the merged sequence.
        case emit(Int64)
        /// Every run is merged.
        case finished
    }

    private struct Cursor {
        let length: Int
        var page: [Int64] = []
        var index = 0
        /// Items of the run read so far.
        var read = 0
    }

    private let pageSize: Int
    private var cursors: [Cursor]
    /// Runs whose next page must be read before anything is emitted.
    private var waiting: [Int]
    /// Min-heap of each run's next item.
    private var heads: [(item: Int64, run: Int)] = []
    private var last: Int64?

    /// `lengths`: the number of items in each run, in run order.
    init(lengths: [Int], pageSize: Int) {
        self.pageSize = max(1, pageSize)
        self.cursors = lengths.map { Cursor(length: $0) }
        self.waiting = lengths.indices.filter { lengths[$0] > 0 }.reversed()
        heads.reserveCapacity(lengths.count)
    }

    mutating func next() -> Action {
        while true {
            if let run = waiting.popLast() {
                let cursor = cursors[run]
                return .read(run: run, offset: cursor.read, count: min(pageSize, cursor.length - cursor.read))
            }
            guard let head = popHead() else { return .finished }
            advance(head.run)
            if head.item != last {
                last = head.item
                return .emit(head.item)
            }
        }
    }

    /// The page ``next()`` asked for; `items` must not be empty.
    mutating func pageRead(_ items: [Int64], run: Int) {
        precondition(!items.isEmpty, "an empty page of run \(run)")
        cursors[run].page = items
        cursors[run].index = 0
        cursors[run].read += items.count
        pushHead((items[0], run))
    }

    /// Moves past the run's head: its next item joins the heap, or its next page is wanted.
    private mutating func advance(_ run: Int) {
        cursors[run].index += 1
        let cursor = cursors[run]
        if cursor.index < cursor.page.count {
            pushHead((cursor.page[cursor.index], run))
        } else if cursor.read < cursor.length {
            waiting.append(run)
        }
    }

    private mutating func pushHead(_ head: (item: Int64, run: Int)) {
        heads.append(head)
        var child = heads.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heads[child].item < heads[parent].item else { break }
            heads.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func popHead() -> (item: Int64, run: Int)? {
        guard let top = heads.first else { return nil }
        let tail = heads.removeLast()
        guard !heads.isEmpty else { return top }
        heads[0] = tail
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heads.count, heads[left].item < heads[smallest].item { smallest = left }
            if right < heads.count, heads[right].item < heads[smallest].item { smallest = right }
            guard smallest != parent else { return top }
            heads.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
