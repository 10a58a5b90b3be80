import Bolt
import Engine
import JobStore
import Testing

/// Parameters bound at planning survive the job store exactly: a resumed job uses the same `$asOf`.
@Suite struct BoundParametersTests {
    @Test func valuesOfEveryKindRoundTripThroughTheJobsOptions() throws {
        let values: [String: BoltValue] = [
            "asOf": .date(try BoltDate(year: 2026, month: 11, day: 25)), "limit": 7, "ratio": 0.125,
            "name": "it's \"quoted\"", "none": .null, "ids": [1, 2, 3],
        ]
        let stored = BoundParameters.encode(values)
        // The job store keeps it inside the options object, beside whatever else is there.
        let options = PostgresJSON(text: #"{"other": 1, "parameters": \#(stored.text)}"#)
        #expect(try BoundParameters.decode(options: options) == values)
    }

    @Test func aJobWithoutRecordedParametersBindsThem() throws {
        #expect(try BoundParameters.decode(options: PostgresJSON(text: "{}")) == nil)
        #expect(try BoundParameters.decode(options: PostgresJSON(text: #"{"parameters": {}}"#)) == [:])
    }
}
