import Logging
import Synchronization
import Systemd

/// What the daemon waits for, if anything, and since when: so that an outage makes one journal warning when it
/// begins and one notice when work goes on again, however many attempts lie between (STATUS= shows each of those).
///
/// The outage ends when work is seen to go on (a batch commits, a job ends, nothing is left to claim), not when a
/// first statement gets through: a Postgres out of disk space still grants a claim and refuses the job's next write,
/// and a log that said "answers again" at every claim would bury the one warning that matters.
final class OutageLog: Sendable {
    private struct Outage {
        var what: String
        var since: ContinuousClock.Instant
        var attempts: Int
    }

    private let state = Mutex<Outage?>(nil)

    /// Counts an attempt that failed; true for the first of an outage (the one to journal as a warning).
    func failed(waitingFor what: String, at now: ContinuousClock.Instant = .now) -> Bool {
        state.withLock { outage in
            if outage == nil {
                outage = Outage(what: what, since: now, attempts: 1)
                return true
            }
            outage?.attempts += 1
            return false
        }
    }

    /// Journals the end of the outage, if there is one, with how long it lasted.
    func workGoesOn(logger: Logger, at now: ContinuousClock.Instant = .now) {
        guard
            let outage = state.withLock({ outage in
                defer { outage = nil }
                return outage
            })
        else { return }
        let waited = now - outage.since
        logger.notice(
            """
            \(outage.what) answers again after \(DurationText.format(waited.roundedToSeconds)) \
            (\(outage.attempts) attempts): work goes on
            """,
            metadata: [
                SluiceLogKey.messageID: "\(SluiceMessageID.waitOver)",
                "waited_seconds": "\(waited.components.seconds)",
            ]
        )
    }
}
