/// A throttle setting that cannot work, named as the configuration file names it (`[throttle] critical_p99`), so
/// the configuration can point at the line to change.
public enum ThrottleConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case notPositive(String)
    case negative(String)
    case criticalNotAboveTarget(target: Duration, critical: Duration)
    /// `min_<name>` is above `max_<name>`: `name` is `batch_size` or `pause`.
    case minAboveMax(String, min: String, max: String)
    case outOfRange(String, Double)

    public var description: String {
        switch self {
        case .notPositive(let setting):
            "throttle setting \(setting) must be greater than zero"
        case .negative(let setting):
            "throttle setting \(setting) must not be negative"
        case .criticalNotAboveTarget(let target, let critical):
            "critical_p99 \(ThrottleFormat.duration(critical)) must be above target_p99 "
                + ThrottleFormat.duration(target)
        case .minAboveMax(let setting, let min, let max):
            "min_\(setting) \(min) is above max_\(setting) \(max)"
        case .outOfRange(let setting, let value):
            "throttle setting \(setting) is \(value): "
                + (setting == "decrease_factor" ? "it must lie between 0 and 1" : "it must lie in (0, 1]")
        }
    }

    /// The settings involved, as the configuration file names them in `[throttle]`: one of them is to change.
    public var settings: [String] {
        switch self {
        case .notPositive(let setting), .negative(let setting), .outOfRange(let setting, _): [setting]
        case .criticalNotAboveTarget: ["critical_p99", "target_p99"]
        case .minAboveMax(let setting, _, _): ["min_\(setting)", "max_\(setting)"]
        }
    }
}
