import Engine
import Testing

@Suite struct IDSpanSearchTests {
    /// The span of `ids` at or above `start` and how many questions it took.
    private func search(_ ids: [Int64], from start: Int64) async -> (ClosedRange<Int64>?, Int) {
        let sorted = ids.sorted()
        var asked = 0
        let span = await IDSpanSearch.span(from: start) { (range: ClosedRange<Int64>) async -> Bool in
            asked += 1
            // The first id at or above the range's start, by halving: a million ids asked about 60 times.
            var low = 0
            var high = sorted.count
            while low < high {
                let middle = (low + high) / 2
                if sorted[middle] < range.lowerBound { low = middle + 1 } else { high = middle }
            }
            return low < sorted.count && sorted[low] <= range.upperBound
        }
        return (span, asked)
    }

    @Test func theSpanIsTheLowestAndHighestHeldIdAtOrAboveTheStart() async {
        let dense = Array(Int64(0)..<1_000)
        #expect(await search(dense, from: 0).0 == 0...999)
        #expect(await search(dense, from: 500).0 == 500...999)
        #expect(await search(dense, from: 999).0 == 999...999)
        let sparse: [Int64] = [3, 17, 18, 4_096, 70_000, 1 << 40]
        #expect(await search(sparse, from: 0).0 == 3...(1 << 40))
        #expect(await search(sparse, from: 18).0 == 18...(1 << 40))
        #expect(await search(sparse, from: 19).0 == 4_096...(1 << 40))
        #expect(await search([42], from: 0).0 == 42...42)
    }

    @Test func nothingAtOrAboveTheStartIsNoSpan() async {
        #expect(await search([], from: 0).0 == nil)
        #expect(await search([1, 2, 3], from: 4).0 == nil)
    }

    @Test func theHighestPossibleIdsNeedNoBoundPastThem() async {
        let top = Int64.max
        #expect(await search([top], from: 0).0 == top...top)
        #expect(await search([5, top - 1, top], from: 6).0 == (top - 1)...top)
        #expect(await search([top], from: top).0 == top...top)
    }

    /// A million dense ids take a few dozen questions, not a read of each.
    @Test func theQuestionsGrowWithTheLogarithmOfTheSpan() async {
        let (span, asked) = await search(Array(Int64(0)..<1_000_000), from: 0)
        #expect(span == 0...999_999)
        // Galloping to 2^20 and halving back: 21 + 20, and one for the lowest.
        #expect(asked <= 3 * 20 + 3)
        let (late, lateAsked) = await search(Array(Int64(0)..<1_000_000), from: 999_000)
        #expect(late == 999_000...999_999)
        #expect(lateAsked <= 3 * 10 + 3)
    }
}
