/// A throttle setting that cannot work, named as the configuration file names it.
public enum ThrottleConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    case notPositive(String)
    case negative(String)
    case criticalNotAboveTarget(target: Duration, critical: Duration)
    case minAboveMax(String, min: String, max: String)
    case outOfRange(String, Double)

    public var description: String {
        switch self {
        case .notPositive(let setting):
            "throttle setting \(setting) must be greater than zero"
        case .negative(let setting):
            "throttle setting \(setting) must not be negative"
        case .criticalNotAboveTarget(let target, let critical):
            "throttle criticalP99 \(ThrottleFormat.duration(critical)) must be above targetP99 "
                + ThrottleFormat.duration(target)
        case .minAboveMax(let setting, let min, let max):
            "throttle minimum \(setting) \(min) is above the maximum \(max)"
        case .outOfRange(let setting, let value):
            "throttle setting \(setting) is \(value): "
                + (setting == "decreaseFactor" ? "it must lie between 0 and 1" : "it must lie in (0, 1]")
        }
    }
}
