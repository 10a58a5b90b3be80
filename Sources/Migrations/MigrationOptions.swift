/// How a migration wants to be run, beyond its steps: all optional.
public struct MigrationOptions: Sendable, Hashable {
    /// Pre-flight refuses a job whose plan holds more items than this, so that a typo in a predicate
    /// cannot touch the whole graph.
    public var maxItems: Int?
    /// The batch size to start with (the throttle may lower it); nil for the daemon's default.
    public var batchSize: Int?
    /// A representative read of the application, timed by the throttle on its own connection: a
    /// better measure of how the graph's users fare than `RETURN 1`, which touches no store and no lock.
    public var probe: MigrationQuery?

    public init(maxItems: Int? = nil, batchSize: Int? = nil, probe: MigrationQuery? = nil) {
        self.maxItems = maxItems
        self.batchSize = batchSize
        self.probe = probe
    }
}
