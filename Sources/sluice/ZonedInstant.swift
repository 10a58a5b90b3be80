import Foundation

/// An instant typed on the command line, which must say its time zone: `2026-11-26T02:00:00Z`,
/// `2026-11-26T02:00+01:00` or `2026-11-26 02:00 Europe/Berlin`.
///
/// A time without a zone is refused rather than read in the machine's zone: the daemon may run on a host in UTC while
/// the operator thinks in local time, and a job started an hour early in business hours is the harm this prevents.
/// With an IANA zone, a wall time that does not exist (skipped by a daylight-saving change) or that happens twice is
/// refused too, naming the change.
enum ZonedInstant {
    static let examples = "2026-11-26T02:00:00Z, 2026-11-26T02:00+01:00 or '2026-11-26 02:00 Europe/Berlin'"

    /// Parses `text`; errors are one line naming `option`.
    static func parse(_ text: String, option: String) throws -> Date {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        // Date, time (seconds and fraction optional), then Z, an offset or an IANA zone name (optional: refused below
        // with its own message).
        let pattern =
            #/^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?\s*(Z|z|[+-]\d{2}:?\d{2}|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z0-9_+\-]+)*)?$/#
        guard let match = trimmed.wholeMatch(of: pattern) else {
            throw CommandError("\(option) '\(text)' is not a time with a time zone: expected \(examples)")
        }
        guard let zoneText = match.8 else {
            throw CommandError(
                "\(option) '\(text)' has no time zone: add Z, an offset (+01:00) or an IANA zone (Europe/Berlin)"
            )
        }
        var components = DateComponents()
        components.year = Int(match.1)
        components.month = Int(match.2)
        components.day = Int(match.3)
        components.hour = Int(match.4)
        components.minute = Int(match.5)
        components.second = match.6.flatMap { Int($0) } ?? 0
        let fraction = match.7.flatMap { Double("0" + $0) } ?? 0
        guard (1...12).contains(components.month!), (1...31).contains(components.day!),
            (0...23).contains(components.hour!), (0...59).contains(components.minute!),
            (0...59).contains(components.second!)
        else {
            throw CommandError("\(option) '\(text)' is not a valid date and time")
        }
        let zone: TimeZone
        let isNamed: Bool
        if zoneText == "Z" || zoneText == "z" {
            zone = TimeZone(secondsFromGMT: 0)!
            isNamed = false
        } else if zoneText.first == "+" || zoneText.first == "-" {
            let digits = zoneText.dropFirst().filter(\.isNumber)
            let hours = Int(digits.prefix(2))!
            let minutes = Int(digits.suffix(2))!
            guard hours <= 18, minutes <= 59 else {
                throw CommandError("\(option) '\(text)': offset \(zoneText) out of range")
            }
            let sign = zoneText.first == "-" ? -1 : 1
            zone = TimeZone(secondsFromGMT: sign * (hours * 3600 + minutes * 60))!
            isNamed = false
        } else {
            guard let named = TimeZone(identifier: String(zoneText)) else {
                throw CommandError("\(option) '\(text)': unknown time zone '\(zoneText)' (an IANA name: Europe/Berlin)")
            }
            zone = named
            isNamed = true
        }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        // A wall time that reads back differently was skipped (or is February 30th).
        guard let instant = calendar.date(from: components),
            Self.wallTime(calendar, instant) == Self.wallTime(components)
        else {
            let why = isNamed ? " in \(zone.identifier) (skipped by a daylight-saving change)" : ""
            throw CommandError("\(option) '\(text)' does not exist\(why)")
        }
        if isNamed {
            // The same wall time an hour either side: it happens twice when the clocks go back.
            for shift in [-3600.0, 3600.0] where Self.wallTime(calendar, instant + shift) == Self.wallTime(components) {
                throw CommandError(
                    "\(option) '\(text)' happens twice in \(zone.identifier) (the clocks go back): "
                        + "give an offset instead, e.g. \(Self.offsetExample(components, zone: zone, instant: instant))"
                )
            }
        }
        return instant + fraction
    }

    private static func wallTime(_ calendar: Calendar, _ instant: Date) -> [Int] {
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: instant)
        return wallTime(c)
    }

    private static func wallTime(_ c: DateComponents) -> [Int] {
        [c.year ?? 0, c.month ?? 0, c.day ?? 0, c.hour ?? 0, c.minute ?? 0, c.second ?? 0]
    }

    /// The wall time with the offset it has at `instant`: `2026-10-25T02:30+02:00`.
    private static func offsetExample(_ c: DateComponents, zone: TimeZone, instant: Date) -> String {
        let offset = zone.secondsFromGMT(for: instant)
        let sign = offset < 0 ? "-" : "+"
        let hours = abs(offset) / 3600
        let minutes = abs(offset) % 3600 / 60
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return
            "\(c.year!)-\(two(c.month!))-\(two(c.day!))T\(two(c.hour!)):\(two(c.minute!))\(sign)\(two(hours)):\(two(minutes))"
    }
}
