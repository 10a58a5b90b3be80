/// Where a latency sample was measured. The sources are kept apart because they measure different things: a batch's
/// time grows with its size, while the probe's time is what the application sees.
public enum LatencySource: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// A batch's wall-clock time, from sending it to its last record: includes the network and the client.
    case batchWall = "batch wall time"
    /// A batch's time on the server as it reports it (`t_first` + `t_last`): the network left out.
    case batchServer = "batch server time"
    /// The probe: a representative read of the application, on a connection of its own.
    case probe

    public var description: String { rawValue }
}
