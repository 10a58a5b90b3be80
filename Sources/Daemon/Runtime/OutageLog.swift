import Logging
import Synchronization
import Systemd

/// What the daemon waits for, if anything, and since when: so that an outage makes one journal warning when it
/// begins and one notice when work goes on again, however many attempts lie between (STATUS= shows each of those).
///
/// The outage begins with the first attempt that failed, the job store connection's own reconnect attempts included
/// (``connectionFailed(reaching:at:)``), from when it was made, or with the first statement Postgres or the graph
/// left unanswered, from its last word: they ride out a short outage before the work loop hears of it, and the notice
/// at the end gives the outage's whole length and every attempt. An outage the connection rode out alone, which the
/// work loop never waited for, is no outage to report: it is forgotten without an entry.
///
/// The outage ends when work is seen to go on (a batch commits, a job ends, nothing is left to claim), not when a
/// first statement gets through: a Postgres out of disk space still grants a claim and refuses the job's next write,
/// and a log that said "answers again" at every claim would bury the one warning that matters.
final class OutageLog: Sendable {
    private struct Outage {
        var what: String
        /// How the end is said: `Postgres answers again`, `the migrations folder can be read again`.
        var back = "answers again"
        var since: ContinuousClock.Instant
        var attempts: Int
        /// The work loop has journalled the outage's beginning.
        var journalled = false
        /// A connection attempt was counted since the work loop last waited: the failure the loop waits for now.
        var connectionCounted = false
        /// The work loop has journalled that Postgres refused the connection: an outage that turns into a refusal
        /// (Postgres back with another password) gets that entry too, once.
        var refusalJournalled = false
    }

    private let state = Mutex<Outage?>(nil)

    /// Counts a connection attempt that failed (below the work loop, which may not hear of it at all).
    func connectionFailed(reaching what: String, at now: ContinuousClock.Instant = .now) {
        state.withLock { outage in
            if outage == nil {
                outage = Outage(what: what, since: now, attempts: 0)
            }
            outage?.attempts += 1
            outage?.connectionCounted = true
        }
    }

    /// The work loop waits after a failed attempt: counts it (unless the connection counted it already) and is true
    /// for the first wait of an outage (the one to journal as a warning), and for the first refused connection
    /// (`refused`) in it (the one to journal as an error).
    func failed(
        waitingFor what: String,
        refused: Bool = false,
        back: String = "answers again",
        at now: ContinuousClock.Instant = .now
    ) -> Bool {
        state.withLock { outage in
            var current = outage ?? Outage(what: what, back: back, since: now, attempts: 0)
            defer { outage = current }
            if !current.connectionCounted { current.attempts += 1 }
            current.connectionCounted = false
            let first = refused ? !current.refusalJournalled : !current.journalled
            current.journalled = true
            current.refusalJournalled = current.refusalJournalled || refused
            return first
        }
    }

    /// Journals the end of the outage, if one was journalled, with how long it lasted and how many attempts failed.
    func workGoesOn(logger: Logger, at now: ContinuousClock.Instant = .now) {
        guard
            let outage = state.withLock({ outage in
                defer { outage = nil }
                return outage
            }),
            outage.journalled
        else { return }
        let waited = now - outage.since
        logger.notice(
            """
            \(outage.what) \(outage.back) after \(DurationText.format(waited.roundedToSeconds)) \
            (\(outage.attempts) failed \(outage.attempts == 1 ? "attempt" : "attempts")): work goes on
            """,
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.waitOver)",
                "waited_seconds": "\(waited.components.seconds)",
                "attempts": "\(outage.attempts)",
            ]
        )
    }
}
