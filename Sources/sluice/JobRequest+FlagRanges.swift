import JobStore

extension JobRequest {
    /// The refusal of a `--batch-size` a job row cannot hold, or nil: the same line from every command that takes it.
    static func batchSizeRefusal(_ value: Int?) -> String? {
        value.flatMap { refusal("--batch-size", $0, within: batchSizes) }
    }

    /// The refusal of a `--priority` a job row cannot hold, or nil.
    static func priorityRefusal(_ value: Int) -> String? {
        refusal("--priority", value, within: priorities)
    }

    private static func refusal(_ flag: String, _ value: Int, within range: ClosedRange<Int>) -> String? {
        range.contains(value) ? nil : "\(flag) must be from \(range.lowerBound) to \(range.upperBound), got \(value)"
    }
}
