/// A day of the week, numbered as ISO 8601 does (Monday 1 … Sunday 7) so ranges like `Mon-Fri` read in order.
public enum Weekday: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    case monday = 1
    case tuesday
    case wednesday
    case thursday
    case friday
    case saturday
    case sunday

    /// `Mon`, `Tue`, …: the form rules are written in.
    public var description: String {
        switch self {
        case .monday: "Mon"
        case .tuesday: "Tue"
        case .wednesday: "Wed"
        case .thursday: "Thu"
        case .friday: "Fri"
        case .saturday: "Sat"
        case .sunday: "Sun"
        }
    }

    /// Accepts the three-letter and the full English name, in any case.
    init?(name: String) {
        let lowered = name.lowercased()
        guard
            let day = Weekday.allCases.first(where: {
                lowered == $0.description.lowercased() || lowered == $0.fullName
            })
        else { return nil }
        self = day
    }

    /// The days from `self` to `last`, wrapping past Sunday (`Fri-Mon` is four days).
    func through(_ last: Weekday) -> [Weekday] {
        var days = [self]
        var day = self
        while day != last {
            day = day.next
            days.append(day)
        }
        return days
    }

    var next: Weekday { Weekday(rawValue: rawValue % 7 + 1)! }

    private var fullName: String {
        switch self {
        case .monday: "monday"
        case .tuesday: "tuesday"
        case .wednesday: "wednesday"
        case .thursday: "thursday"
        case .friday: "friday"
        case .saturday: "saturday"
        case .sunday: "sunday"
        }
    }
}
