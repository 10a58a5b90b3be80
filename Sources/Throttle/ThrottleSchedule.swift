import Foundation

/// The time windows in force, answering what is allowed at an instant and when that changes next (which the daemon
/// needs to wake up at a window's edge, and `sluice schedule` to show the coming week).
public struct ThrottleSchedule: Sendable, Hashable {
    public var windows: [ThrottleWindow]

    public init(_ windows: [ThrottleWindow] = []) {
        self.windows = windows
    }

    /// Reads one rule per line; blank lines and everything from `#` to the end of a line are ignored, and columns in
    /// errors count from the start of the line.
    public init(parsingLines text: String) throws(ThrottleScheduleError) {
        var windows: [ThrottleWindow] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let rule = line.prefix { $0 != "#" }
            guard rule.contains(where: { !$0.isWhitespace }) else { continue }
            do {
                windows.append(try ThrottleWindow(parsing: String(rule)))
            } catch {
                throw ThrottleScheduleError(line: index + 1, error: error)
            }
        }
        self.windows = windows
    }

    /// The strictest of the windows open at `instant`.
    public func cap(at instant: Date) -> ThrottleCap {
        windows.reduce(ThrottleCap.none) { cap, window in
            window.occurrence(containing: instant) == nil ? cap : cap.tightened(by: window)
        }
    }

    /// The changes of cap after `start` up to and including `end`, in order. A window opening or closing inside a
    /// stricter one changes nothing, so it is no transition.
    public func transitions(from start: Date, to end: Date) -> [ThrottleTransition] {
        guard end > start else { return [] }
        let span = DateInterval(start: start, end: end)
        var edges: Set<Date> = []
        for window in windows {
            for occurrence in window.occurrences(overlapping: span) {
                edges.insert(occurrence.start)
                edges.insert(occurrence.end)
            }
        }
        var current = cap(at: start)
        var transitions: [ThrottleTransition] = []
        for edge in edges.sorted() where edge > start && edge <= end {
            let next = cap(at: edge)
            if next != current {
                transitions.append(ThrottleTransition(instant: edge, cap: next))
                current = next
            }
        }
        return transitions
    }
}
