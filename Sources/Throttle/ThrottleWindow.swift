import Foundation

/// A recurring stretch of wall-clock time in a time zone during which work is capped or paused: business hours, a
/// nightly report, the weekend.
///
/// Rules are written on one line, so a configuration file can carry a list of them:
///
///     business hours = Mon-Fri 09:00-18:00 Europe/Berlin: max 2,000 items/s
///     Sat,Sun 00:00-24:00 UTC: pause
///     Mon-Fri 22:00-06:00 America/New_York: max batch 2000
///     daily 01:00-03:00 Asia/Tokyo: max 500 items/s, max batch 100
///
/// Grammar (keywords and day names in any case, spaces and tabs between tokens optional except inside a name):
///
///     rule    = [ name "=" ] days time "-" time zone ":" action
///     days    = "daily" | day-set { "," day-set }
///     day-set = day [ "-" day ]              Mon-Fri; a range may wrap: Fri-Mon is Fri, Sat, Sun, Mon
///     day     = Mon | Tue | Wed | Thu | Fri | Sat | Sun   (or the full English name)
///     time    = H:MM | HH:MM                 00:00 to 23:59; 24:00 may end a window (the next midnight)
///     zone    = an IANA time zone name       Europe/Berlin, America/New_York, UTC
///     action  = "pause" | limit { "," limit }
///     limit   = "max" number unit            the rate: items/s, nodes/s or relationships/s (all count items)
///             | "max batch" number           the largest batch
///     number  = digits, optionally grouped by "," or "_" in threes: 2000, 2,000, 2_000
///
/// The name, when given, is what status lines and the journal call the window (`business hours: max 2,000
/// items/s`); without one they quote the rule. The days are the days a window *starts* on: a window whose end is
/// not after its start crosses midnight and belongs to the day it starts on (`Fri 22:00-06:00` runs from Friday
/// night into Saturday morning, and not from Thursday night into Friday).
///
/// Times are read on the zone's wall clock on each day, daylight-saving changes included. A time that does not exist
/// that day (02:30 when clocks jump from 02:00 to 03:00) means the instant the clocks jump, the first that exists
/// after it; a time that happens twice (01:30 when clocks go back from 02:00 to 01:00) means its first occurrence, so
/// a window holds the repeated hour once it has started. A window lying wholly inside a skipped hour does not happen
/// that day.
public struct ThrottleWindow: Sendable, Hashable, CustomStringConvertible {
    public let name: String?
    /// The days the window starts on.
    public let days: Set<Weekday>
    public let start: TimeOfDay
    /// The end on the start day, or on the next day when it is not after `start`.
    public let end: TimeOfDay
    public let timeZone: TimeZone
    public let action: ThrottleAction
    /// The zone as written: Foundation reports `UTC` as `GMT`.
    private let zoneName: String

    init(
        name: String?,
        days: Set<Weekday>,
        start: TimeOfDay,
        end: TimeOfDay,
        timeZone: TimeZone,
        zoneName: String,
        action: ThrottleAction
    ) {
        precondition(!days.isEmpty, "a window needs at least one day")
        precondition(start != end && start < .endOfDay, "a window needs a start before 24:00 and an end other than it")
        self.name = name
        self.days = days
        self.start = start
        self.end = end
        self.timeZone = timeZone
        self.zoneName = zoneName
        self.action = action
    }

    /// Parses the one-line form described above.
    public init(parsing text: String) throws(ThrottleWindowError) {
        var parser = ThrottleWindowParser(text)
        self = try parser.parse()
    }

    /// Whether the window runs past midnight into the next day.
    public var crossesMidnight: Bool { end <= start }

    /// The window's name, or `window` and its times when it has none.
    public var label: String {
        name ?? "window \(schedule)"
    }

    /// The rule in its canonical one-line form, which parses back to the same window.
    public var description: String {
        (name.map { "\($0) = " } ?? "") + "\(schedule): \(action)"
    }

    /// `Mon-Fri 09:00-18:00 Europe/Berlin`
    private var schedule: String {
        "\(Self.describe(days)) \(start)-\(end) \(zoneName)"
    }

    /// The occurrence under way at `instant`, if any: occurrences are half-open, so at its end a window is over.
    public func occurrence(containing instant: Date) -> DateInterval? {
        let today = CivilDate(wallSeconds: timeZone.wallSeconds(at: instant))
        for day in [today.adding(days: -1), today] {
            if let occurrence = occurrence(startingOn: day), occurrence.start <= instant, instant < occurrence.end {
                return occurrence
            }
        }
        return nil
    }

    /// The occurrences that overlap `interval`, in order.
    public func occurrences(overlapping interval: DateInterval) -> [DateInterval] {
        var day = CivilDate(wallSeconds: timeZone.wallSeconds(at: interval.start)).adding(days: -1)
        let lastDay = CivilDate(wallSeconds: timeZone.wallSeconds(at: interval.end))
        var found: [DateInterval] = []
        while day <= lastDay {
            if let occurrence = occurrence(startingOn: day), occurrence.start < interval.end,
                occurrence.end > interval.start
            {
                found.append(occurrence)
            }
            day = day.adding(days: 1)
        }
        return found
    }

    private func occurrence(startingOn day: CivilDate) -> DateInterval? {
        guard days.contains(day.weekday) else { return nil }
        let startInstant = timeZone.instant(atWallSeconds: day.wallSeconds(at: start))
        let endDay = crossesMidnight ? day.adding(days: 1) : day
        let endInstant = timeZone.instant(atWallSeconds: endDay.wallSeconds(at: end))
        guard endInstant > startInstant else { return nil }
        return DateInterval(start: startInstant, end: endInstant)
    }

    /// `daily`, `Mon-Fri`, `Sat,Sun`, `Mon,Wed-Fri`: runs of three or more days as ranges.
    private static func describe(_ days: Set<Weekday>) -> String {
        if days.count == 7 { return "daily" }
        var parts: [String] = []
        var run: [Weekday] = []
        func closeRun() {
            if run.count >= 3 {
                parts.append("\(run.first!)-\(run.last!)")
            } else {
                parts += run.map(\.description)
            }
            run = []
        }
        for day in Weekday.allCases {
            if days.contains(day) {
                run.append(day)
            } else {
                closeRun()
            }
        }
        closeRun()
        return parts.joined(separator: ",")
    }
}
