/// A wall-clock time in minutes after midnight, 00:00 through 24:00 (24:00 only ends a window: the next midnight).
public struct TimeOfDay: Sendable, Hashable, Comparable, CustomStringConvertible {
    public let minutes: Int

    public init?(hour: Int, minute: Int) {
        guard (0...24).contains(hour), (0..<60).contains(minute), hour < 24 || minute == 0 else { return nil }
        minutes = hour * 60 + minute
    }

    public static let midnight = TimeOfDay(hour: 0, minute: 0)!
    public static let endOfDay = TimeOfDay(hour: 24, minute: 0)!

    public var hour: Int { minutes / 60 }
    public var minute: Int { minutes % 60 }

    /// `09:00`
    public var description: String {
        (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func < (lhs: TimeOfDay, rhs: TimeOfDay) -> Bool { lhs.minutes < rhs.minutes }
}
