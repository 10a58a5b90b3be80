import Engine
import Testing

@Suite struct PlanCursorTests {
    @Test func batchSizeChangesNeitherSkipNorRepeat() throws {
        var cursor = PlanCursor(total: 25)
        var covered: [Int] = []
        for size in [10, 3, 7, 100] where !cursor.isFinished {
            let slice = cursor.nextSlice(batchSize: size)
            covered += Array(slice)
            try cursor.commit(slice)
        }
        #expect(cursor.isFinished)
        #expect(covered == Array(0..<25))
    }

    @Test func resumesFromAnOffset() {
        let cursor = PlanCursor(total: 1_000_000, done: 990_000)
        #expect(cursor.nextSlice(batchSize: 10_000) == 990_000..<1_000_000)
        #expect(PlanCursor(total: 5, done: 5).nextSlice(batchSize: 10).isEmpty)
    }

    @Test func outOfOrderCommitsAreRefused() throws {
        var cursor = PlanCursor(total: 30)
        try cursor.commit(0..<10)
        #expect(throws: PlanCursorError.self) { try cursor.commit(0..<10) }  // repeated
        #expect(throws: PlanCursorError.self) { try cursor.commit(20..<30) }  // skipped
        #expect(throws: PlanCursorError.self) { try cursor.commit(10..<40) }  // past the plan
        #expect(cursor.done == 10)
    }
}
