/// The metadata keys sluice logs under, spelled so that the journal fields come out as documented
/// (`journalctl -u sluice MIGRATION=007`): a key becomes its field by the rule of ``JournalLogHandler``
/// (upper case, `_` for anything else), so `items_done` is `ITEMS_DONE`.
public enum SluiceLogKey {
    /// `MESSAGE_ID`: a ``SluiceMessageID``, naming the kind of event.
    public static let messageID = "message_id"
    /// `SLUICE_JOB`: the job id (prefixed, as systemd's own messages use `JOB_ID` for its unit jobs).
    public static let job = "sluice_job"
    /// `MIGRATION`: the migration's version, e.g. `007`.
    public static let migration = "migration"
    /// `DIRECTION`: `up` or `down`.
    public static let direction = "direction"
    /// `OFFSET`: the position in the job's plan (where a batch starts).
    public static let offset = "offset"
    /// `ITEMS_DONE`: items changed so far.
    public static let itemsDone = "items_done"
    /// `ITEMS_TOTAL`: items planned.
    public static let itemsTotal = "items_total"
    /// `RATE`: items per second.
    public static let rate = "rate"
    /// `LATENCY_MS`: measured Bolt latency in milliseconds.
    public static let latencyMilliseconds = "latency_ms"
    /// `THROTTLE`: why work is slowed or paused (e.g. `business hours`), empty when it is not.
    public static let throttle = "throttle"
    /// `ITEM`: the graph id of one item, e.g. the one quarantined.
    public static let item = "item"
    /// `WORKER`: the daemon's stable worker identity, the lease holder.
    public static let worker = "worker"
    /// `PREVIOUS_WORKER`: the worker that held a lease before it was reclaimed.
    public static let previousWorker = "previous_worker"
    /// `ERROR_MESSAGE`: why a job failed or an item was quarantined, as the job's record says it.
    public static let errorMessage = "error_message"
}
