import Bolt

/// Durations as the configuration file writes them: a number and a unit, `500ms`, `30s`, `5m`, `1h`, or several
/// (`1m30s`). A bare number is refused: seconds or milliseconds would be a guess.
public enum DurationText {
    /// The longest duration a setting may have: a year. Longer is a typo, and near `Int64` milliseconds it would
    /// not even fit.
    public static let maximum = Duration.seconds(365 * 24 * 3_600)

    /// Why a text is not a duration.
    public enum Failure: Error, Sendable, Equatable {
        /// Not a number and a unit.
        case notADuration
        /// Longer than ``DurationText/maximum``.
        case tooLong
    }

    /// The duration `text` names.
    public static func parse(_ text: String) throws(Failure) -> Duration {
        var rest = Substring(text.trimmingSpaces)
        guard !rest.isEmpty else { throw .notADuration }
        let most = Double(maximum.wholeMilliseconds)
        var milliseconds = 0.0
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number), value >= 0 else { throw .notADuration }
            rest = rest.dropFirst(number.count)
            let unit = rest.prefix { $0.isLetter }
            rest = rest.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ms": scale = 0.001
            case "s": scale = 1
            case "m", "min": scale = 60
            case "h": scale = 3_600
            default: throw .notADuration
            }
            // Summed as a Double and bounded before the conversion, which would trap beyond Int64.
            milliseconds += (value * scale * 1_000).rounded()
            guard milliseconds <= most else { throw .tooLong }
        }
        return .milliseconds(Int64(milliseconds))
    }

    /// The shortest text that parses back to `duration` at millisecond precision: `1m30s`, `250ms`.
    public static func format(_ duration: Duration) -> String {
        var milliseconds = duration.wholeMilliseconds
        if milliseconds == 0 { return "0s" }
        var parts: [String] = []
        for (unit, size) in [("h", Int64(3_600_000)), ("m", 60_000), ("s", 1_000)] where milliseconds >= size {
            parts.append("\(milliseconds / size)\(unit)")
            milliseconds %= size
        }
        if milliseconds > 0 { parts.append("\(milliseconds)ms") }
        return parts.joined()
    }
}

extension String {
    var trimmingSpaces: String {
        var text = Substring(self)
        while let first = text.first, first.isWhitespace { text = text.dropFirst() }
        while let last = text.last, last.isWhitespace { text = text.dropLast() }
        return String(text)
    }
}
