/// The journal's `MESSAGE_ID` for each kind of event sluice logs, so operators can filter for one kind
/// (`journalctl MESSAGE_ID=...`) and `journalctl -x` can explain it from `systemd/sluice.catalog`.
///
/// The ids were generated once at random and must never change: journals, alerts and the catalog
/// refer to them. A new kind of event gets a new id (and a catalog entry).
///
/// Log one by putting it in the metadata under ``SluiceLogKey/messageID``:
/// `logger.info("job started", metadata: [SluiceLogKey.messageID: .stringConvertible(SluiceMessageID.jobStarted)])`.
public enum SluiceMessageID: String, Sendable, CaseIterable, CustomStringConvertible {
    /// A daemon took a job and starts (or continues) working on it.
    case jobStarted = "65ae555b55164a5497f8392b51f13b88"
    /// A job's plan is complete: the items it will touch are listed and counted.
    case jobPlanned = "aabb319dec084c069270e8cad81d994b"
    /// A batch committed in the graph and its checkpoint was recorded.
    case batchCommitted = "833bd78ec830433d8b83cc2cb1c816c9"
    /// The throttle changed the rate (latency, a time window) or paused work until latency recovers.
    case throttled = "2e38d12aa7844c9297ed86927b394998"
    /// A job was paused by an operator.
    case jobPaused = "ec234adfef72494fba7e0391109a6e20"
    /// A paused job was resumed by an operator.
    case jobResumed = "12b7831c00954174bfe55b7d34caaea2"
    /// An item failed on its own and was set aside; the job went on without it.
    case itemQuarantined = "48083e61db14454db3e36bddb3499aed"
    /// A job stopped with an error it cannot work around.
    case jobFailed = "ff1bef907d9d41a693cfaefa99a5c22c"
    /// A job finished and its verify query passed: every planned item was changed, no longer matching, or quarantined
    /// (not changed); or a dry run ended.
    case jobSucceeded = "48adc9ebb18a43bba0c3f8fd8501bc8c"
    /// A job was cancelled by an operator.
    case jobCancelled = "1c9c6fadb14f4ca0805f004d2fbec074"
    /// A daemon took over a job whose previous holder stopped without letting go (crash, kill, reboot).
    case jobReclaimed = "e190cb39ef4b4e47bd8095d0a608c9c4"
    /// The daemon cannot reach Postgres or a graph, or Postgres refuses writes for now (read-only, disk full): it
    /// waits with backoff instead of failing the job. Once per outage.
    case waiting = "9ee9de239057457580e3c155c80eab68"
    /// What the daemon waited for answers again; work goes on. Once per outage, with how long it lasted.
    case waitOver = "38472d834f3a4facafa309ffe192fe45"
    /// The graph refused the configured credentials: the job waits, resumable, for a fixed password. Once per refusal
    /// until a job is taken up again.
    case credentialsRefused = "31431191721f48ed897eed0992ba4f30"
    /// Postgres refused the daemon's connection (password, user, database, pg_hba.conf): work waits for the fix.
    /// Once per refusal until Postgres accepts the connection.
    case postgresRefused = "87e65938222b4c70b2edcc0e6415697d"
    /// Another live daemon announced this daemon's worker identity: this one takes no jobs until it is gone. Once per
    /// clash.
    case workerShared = "81f73dbff921463596a950497cd37b0b"
    /// A job made no progress for `[daemon] stuck_after` (a batch or a plan that hangs, not a pause): once per job
    /// session, as the `sluice_job_stuck` metric turns 1.
    case jobStuck = "4b85fe9d7f5b436a8613a1d3a189723e"
    /// Another worker took over the job this daemon ran (its lease ran out): this one stops after its batch in flight.
    case leaseLost = "2cfbd5def3fe404b8f0f504644d7a3f7"
    /// The daemon's shutdown stopped a job after its batch in flight; it resumes from its checkpoint (`OFFSET`).
    case jobStoppedForShutdown = "6a25dd3f163e43278347c87bc97d4cea"
    /// The daemon started with a valid configuration (`WORKER`, `INSTANCE`, `CONFIG`, `GRAPH`).
    case daemonStarted = "758343d5ceea47d4aa840257ac55bb53"
    /// The daemon was asked to stop (SIGTERM, SIGINT): the batch in flight finishes first.
    case daemonStopping = "bd5415539ad64b10b5a33be8d84ffc33"
    /// The daemon stopped cleanly: its lease released, exit status 0.
    case daemonStopped = "2de1f9ebe4234dcfae32369418bb4f3d"
    /// A reload (SIGHUP) took a changed configuration (`LOG_LEVEL`, `THROTTLE_WINDOWS`).
    case configurationReloaded = "47e72746a84a4aa3bbf6889e973a7230"
    /// A reload took the file, but some of its changes (named in the message) take effect only at a restart.
    case reloadNeedsRestart = "9b70d0ab4da84ee08af9b1e1fb5f7bab"

    /// The id as the journal spells it: 32 lower-case hexadecimal digits.
    public var description: String { rawValue }
}
