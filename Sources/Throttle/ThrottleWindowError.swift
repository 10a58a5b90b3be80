/// Why a time-window rule did not parse, and where: `column` counts characters of the rule's text from 1.
public struct ThrottleWindowError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Reason: Sendable, Hashable, CustomStringConvertible {
        case emptyName
        case expectedDay(found: String)
        case expectedTime(found: String)
        case invalidTime(String)
        case expectedDash(found: String)
        case startsAtEndOfDay
        case emptyWindow(TimeOfDay)
        case expectedTimeZone(found: String)
        case unknownTimeZone(String, suggestion: String?)
        case expectedColon(found: String)
        case expectedAction(found: String)
        case expectedNumber(found: String)
        case zeroLimit
        /// Above ``ThrottleConfiguration/maximumItemsPerSecond``.
        case rateTooHigh(Int)
        case expectedUnit(found: String)
        case repeatedLimit(String)
        case unexpectedText(String)

        public var description: String {
            switch self {
            case .emptyName:
                "expected a name before '='"
            case .expectedDay(let found):
                "expected a day (Mon to Sun, a range like Mon-Fri, or daily), found \(quoted(found))"
            case .expectedTime(let found):
                "expected a time as HH:MM, found \(quoted(found))"
            case .invalidTime(let text):
                "'\(text)' is not a time of day (00:00 to 24:00)"
            case .expectedDash(let found):
                "expected '-' between the start and the end time, found \(quoted(found))"
            case .startsAtEndOfDay:
                "a window cannot start at 24:00 (use 00:00 on the next day)"
            case .emptyWindow(let time):
                "the window starts and ends at \(time): write 00:00-24:00 for a whole day"
            case .expectedTimeZone(let found):
                "expected a time zone (an IANA name like Europe/Berlin, or UTC), found \(quoted(found))"
            case .unknownTimeZone(let name, let suggestion):
                "unknown time zone '\(name)'" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
            case .expectedColon(let found):
                "expected ':' between the time zone and the action, found \(quoted(found))"
            case .expectedAction(let found):
                "expected 'pause', 'max N items/s' or 'max batch N', found \(quoted(found))"
            case .expectedNumber(let found):
                "expected a number, found \(quoted(found))"
            case .zeroLimit:
                "a limit must be at least 1 (use 'pause' to stop work)"
            case .rateTooHigh(let rate):
                "\(rate) items/s is above the highest rate limit, \(ThrottleConfiguration.maximumItemsPerSecond)"
            case .expectedUnit(let found):
                "expected items/s (or nodes/s, relationships/s) after the rate, found \(quoted(found))"
            case .repeatedLimit(let limit):
                "\(limit) is given twice"
            case .unexpectedText(let text):
                "unexpected \(quoted(text)) after the rule"
            }
        }

        private func quoted(_ text: String) -> String {
            text.isEmpty ? "the end of the rule" : "'\(text)'"
        }
    }

    public var column: Int
    public var reason: Reason

    public init(column: Int, reason: Reason) {
        self.column = column
        self.reason = reason
    }

    /// `column 17: unknown time zone 'Europe/Berln'`
    public var description: String { "column \(column): \(reason)" }
}
