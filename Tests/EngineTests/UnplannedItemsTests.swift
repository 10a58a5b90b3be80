import Testing

@testable import Engine

/// The catch-up's arithmetic: found items the plan holds are left out, whichever page holds them and in whatever
/// order the plan lists them; the others are kept once each.
@Suite struct UnplannedItemsTests {
    @Test func itemsThePlanHoldsAreLeftOutAndTheRestKeptOnce() {
        var unplanned = UnplannedItems(found: [907, 12, 5, 907, 3_000, 44])
        #expect(unplanned.count == 5)
        // A plan of two sorted segments (the first plan, then late arrivals below its highest id).
        unplanned.remove(planned: [1, 2, 5, 6, 44])
        unplanned.remove(planned: [3_000, 3_001])
        unplanned.remove(planned: [4, 5])
        #expect(unplanned.count == 2)
        #expect(unplanned.items == [12, 907])
    }

    @Test func nothingFoundOrEverythingPlanned() {
        var empty = UnplannedItems(found: [])
        empty.remove(planned: [1, 2, 3])
        #expect(empty.count == 0 && empty.items.isEmpty)
        var all = UnplannedItems(found: Array(1...1_000))
        all.remove(planned: (1...1_000).reversed())
        #expect(all.count == 0 && all.items.isEmpty)
    }

    /// Where batches address id ranges, only items outside the planned span are surely unchanged.
    @Test func itemsInsideTheSpanAreLeftOutWhereBatchesAddressRanges() {
        var unplanned = UnplannedItems(found: [3, 10, 11, 500, 501, 900])
        unplanned.remove(inside: 10...500)
        #expect(unplanned.items == [3, 501, 900])
        #expect(unplanned.count == 3)
    }
}
