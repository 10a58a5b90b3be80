import Testing

@testable import Throttle

@Suite struct OrderStatisticTreeTests {
    private func key(_ microseconds: Int, _ sequence: UInt64) -> OrderStatisticTree.Key {
        OrderStatisticTree.Key(latency: .microseconds(microseconds), sequence: sequence)
    }

    @Test func ranksFollowInsertionsAndRemovals() {
        var tree = OrderStatisticTree()
        for (index, value) in [50, 10, 40, 20, 30].enumerated() {
            tree.insert(key(value, UInt64(index)))
        }
        #expect((0..<5).map { tree.key(atRank: $0).latency } == [10, 20, 30, 40, 50].map { .microseconds($0) })
        tree.remove(key(40, 2))
        tree.remove(key(999, 9))
        #expect(tree.count == 4)
        #expect(tree.key(atRank: 3).latency == .microseconds(50))
    }

    /// A window that stays full (five thousand samples, fifty thousand arrivals) keeps its order.
    @Test func aFullWindowStaysFastAndBounded() {
        var tree = OrderStatisticTree()
        var random = SeededGenerator(seed: 42)
        var keys: [OrderStatisticTree.Key] = []
        var oldest = 0
        for sequence in 0..<UInt64(50_000) {
            let next = key(Int.random(in: 0...1_000_000, using: &random), sequence)
            tree.insert(next)
            keys.append(next)
            if keys.count - oldest > 5_000 {
                tree.remove(keys[oldest])
                oldest += 1
            }
        }
        #expect(tree.count == 5_000)
        let sorted = keys[oldest...].sorted()
        #expect(tree.key(atRank: 0) == sorted.first)
        #expect(tree.key(atRank: 4_949) == sorted[4_949])
    }
}
