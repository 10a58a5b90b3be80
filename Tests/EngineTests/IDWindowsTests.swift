import Engine
import Testing

@Suite struct IDWindowsTests {
    @Test func windowsCoverTheSpanOnceInAscendingOrder() {
        let windows = Array(IDWindows(lowest: 3, highest: 24, width: 10))
        #expect(windows == [3...12, 13...22, 23...24])
        // Every id of the span in exactly one window.
        #expect(windows.flatMap { Array($0) } == Array(3...24))
    }

    @Test func aSpanThatFitsIsOneWindowAndAnEmptySpanNone() {
        #expect(Array(IDWindows(lowest: 5, highest: 5, width: 50_000)) == [5...5])
        #expect(Array(IDWindows(lowest: 0, highest: 49_999, width: 50_000)) == [0...49_999])
        #expect(Array(IDWindows(lowest: 7, highest: 6, width: 10)).isEmpty)
    }

    @Test func theLastWindowEndsAtTheHighestIdWithoutOverflowing() {
        let top = Int64.max
        #expect(Array(IDWindows(lowest: top - 4, highest: top, width: 3)) == [(top - 4)...(top - 2), (top - 1)...top])
        #expect(Array(IDWindows(lowest: top - 1, highest: top, width: 1_000)) == [(top - 1)...top])
        #expect(Array(IDWindows(lowest: top, highest: top, width: 1)) == [top...top])
    }
}
