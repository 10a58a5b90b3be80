import Throttle

/// The `[throttle]` section: the controller's configuration and the time windows, reloaded on SIGHUP.
public struct ThrottleSettings: Sendable, Equatable {
    public var configuration: ThrottleConfiguration
    public var schedule: ThrottleSchedule
}
