import Testing

@testable import JobStore

@Suite struct SortedRunMergeTests {
    /// Drives the merge as the job store does, serving pages from memory, and records what it read.
    private func merge(_ runs: [[Int64]], pageSize: Int) -> (items: [Int64], reads: [SortedRunMerge.Action]) {
        var merge = SortedRunMerge(lengths: runs.map(\.count), pageSize: pageSize)
        var items: [Int64] = []
        var reads: [SortedRunMerge.Action] = []
        while true {
            let action = merge.next()
            switch action {
            case .read(let run, let offset, let count):
                reads.append(action)
                merge.pageRead(Array(runs[run][offset..<offset + count]), run: run)
            case .emit(let item):
                items.append(item)
            case .finished:
                return (items, reads)
            }
        }
    }

    @Test func mergesRunsInOrderAndKeepsRepeatsOnce() {
        let runs: [[Int64]] = [[1, 4, 7, 10], [2, 4, 8], [], [-5, 3, 10, 11, 12]]
        let result = merge(runs, pageSize: 2)
        #expect(result.items == [-5, 1, 2, 3, 4, 7, 8, 10, 11, 12])
        // Every run's first page before anything is emitted; later pages only once the last is used up.
        #expect(
            Array(result.reads.prefix(3)) == [
                .read(run: 0, offset: 0, count: 2), .read(run: 1, offset: 0, count: 2),
                .read(run: 3, offset: 0, count: 2),
            ]
        )
        #expect(result.reads.count == 2 + 2 + 3)
        #expect(merge([], pageSize: 4).items.isEmpty)
        #expect(merge([[], []], pageSize: 4).items.isEmpty)
    }

    @Test func holdsOnePagePerRunWhateverTheirLength() {
        let runs = (0..<7).map { run in (0..<Int64(1_000 + run * 13)).map { $0 * 7 + Int64(run) } }
        let result = merge(runs, pageSize: 64)
        #expect(result.items == runs.flatMap { $0 }.sorted())
        #expect(result.reads.allSatisfy { if case .read(_, _, let count) = $0 { count <= 64 } else { false } })
    }

    @Test func matchesASortOfRandomRuns() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20 {
            let runs = (0..<Int.random(in: 1...12, using: &generator)).map { _ in
                Set((0..<Int.random(in: 0...300, using: &generator)).map { _ in Int64.random(in: -500...500) })
                    .sorted()
            }
            let result = merge(runs, pageSize: Int.random(in: 1...50, using: &generator))
            #expect(result.items == Set(runs.flatMap { $0 }).sorted())
        }
    }
}
