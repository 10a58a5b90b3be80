import Throttle

/// The `[throttle]` section: the controller's configuration and the time windows, reloaded on SIGHUP.
public struct ThrottleSettings: Sendable, Equatable {
    public var configuration: ThrottleConfiguration
    public var schedule: ThrottleSchedule
    /// The application's representative read the probe times when a migration has none; nil: `RETURN 1`.
    public var probe: String?
    /// The time between the starts of two probes.
    public var probeInterval: Duration
}
