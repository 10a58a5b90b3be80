/// A rule in a list of rules that did not parse: `line` counts from 1.
public struct ThrottleScheduleError: Error, Sendable, Hashable, CustomStringConvertible {
    public var line: Int
    public var error: ThrottleWindowError

    public init(line: Int, error: ThrottleWindowError) {
        self.line = line
        self.error = error
    }

    /// `line 3, column 17: unknown time zone 'Europe/Berln'`
    public var description: String { "line \(line), \(error)" }
}
