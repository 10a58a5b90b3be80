/// How progress reads for people, the same in the status line, the journal and `sluice run`'s bar: counts with
/// thousands separators, durations as `1m12s`.
public enum ProgressText {
    /// `1,000,000`
    public static func count<Number: BinaryInteger>(_ value: Number) -> String {
        let digits = String(value.magnitude)
        var result = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { result.append(",") }
            result.append(digit)
        }
        return (value < 0 ? "-" : "") + result
    }

    /// `45s`, `1m12s`, `2h5m`, rounded up to a whole second.
    public static func duration(seconds: Double) -> String {
        let total = Int(seconds.rounded(.up))
        if total >= 3600 { return "\(total / 3600)h\(total % 3600 / 60)m" }
        if total >= 60 { return "\(total / 60)m\(total % 60)s" }
        return "\(total)s"
    }

    /// `41%`, rounded down so that 100% means done.
    public static func percent(done: Int64, total: Int64) -> String {
        guard total > 0 else { return "100%" }
        return "\(Int(Double(done) / Double(total) * 100))%"
    }
}
