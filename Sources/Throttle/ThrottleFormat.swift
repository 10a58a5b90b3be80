/// How the throttle writes numbers for people, the same in every locale so journal entries and tests agree.
enum ThrottleFormat {
    /// `2,000`
    static func count(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var grouped = ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 {
                grouped.append(",")
            }
            grouped.append(digit)
        }
        return value < 0 ? "-" + grouped : grouped
    }

    /// `84ms`, `2.5ms`, `1.2s`: whole milliseconds where that is precise enough, one decimal otherwise.
    static func duration(_ duration: Duration) -> String {
        let milliseconds = duration.seconds * 1_000
        if milliseconds >= 999.5 {
            return decimal(milliseconds / 1_000) + "s"
        }
        if milliseconds >= 10 {
            return "\(Int(milliseconds.rounded()))ms"
        }
        return decimal(milliseconds) + "ms"
    }

    /// One decimal, without a trailing `.0`.
    private static func decimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return tenths % 10 == 0 ? "\(tenths / 10)" : "\(tenths / 10).\(tenths % 10)"
    }
}
