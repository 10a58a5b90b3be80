import Foundation
import JobStore

/// The one line `systemctl status sluice` shows (STATUS=), built from what the daemon knows now. Pure, so each
/// shape is tested without systemd.
public enum StatusLine {
    /// `007 normalize_project_names: 412,000/1,000,000 (41%), 8,200 items/s, ETA 1m12s, throttled: business hours`;
    /// a job with no progress for `stuckFor` shows no rate or ETA, which would be its last batch's, but how long it has
    /// been stuck.
    public static func job(
        version: String,
        name: String,
        direction: String,
        done: Int64,
        total: Int64,
        itemsPerSecond: Double?,
        throttle: String? = nil,
        stuckFor: Duration? = nil
    ) -> String {
        var line = "\(title(version: version, name: name, direction: direction)): "
        line +=
            "\(ProgressText.count(done))/\(ProgressText.count(total)) (\(ProgressText.percent(done: done, total: total)))"
        if let rate = itemsPerSecond, stuckFor == nil {
            line += ", \(ProgressText.count(Int64(rate.rounded()))) items/s"
            if rate > 0, done < total {
                line += ", ETA \(ProgressText.duration(seconds: Double(total - done) / rate))"
            }
        }
        if let throttle, !throttle.isEmpty {
            line += ", throttled: \(throttle)"
        }
        return line + stuck(for: stuckFor)
    }

    /// `, STUCK: no progress for 5m`, or nothing for a job that is not stuck.
    public static func stuck(for duration: Duration?) -> String {
        duration.map { ", STUCK: no progress for \(DurationText.format($0.roundedToSeconds))" } ?? ""
    }

    /// While a job is being planned: `007 normalize_project_names: planning`; while a time window (`heldBy`, the
    /// throttle's reason) holds planning back: `007 normalize_project_names: waits to plan, throttled: paused: night`.
    public static func planning(version: String, name: String, direction: String, heldBy: String? = nil) -> String {
        let title = title(version: version, name: name, direction: direction)
        guard let heldBy else { return "\(title): planning" }
        return "\(title): waits to plan, throttled: \(heldBy)"
    }

    /// A job claimed, its graph not reached yet: `007 normalize_project_names: connecting to the graph bolt://...`. A
    /// server that takes the connection and says nothing is waited for up to a minute, which is not idleness.
    public static func connecting(version: String, name: String, direction: String, graph: String) -> String {
        "\(title(version: version, name: name, direction: direction)): connecting to the graph \(graph)"
    }

    /// `007 normalize_project_names`, `007 normalize_project_names (down)`: the job a line is about.
    private static func title(version: String, name: String, direction: String) -> String {
        "\(version) \(name)\(direction == "down" ? " (down)" : "")"
    }

    /// A job a line names besides what it says: a paused one that holds the graph an idle daemon serves, or the one a
    /// wait holds up.
    public struct JobSummary: Sendable, Equatable {
        public var id: Int64
        public var version: String
        public var name: String
        public var direction: String
        public var done: Int64
        public var total: Int64?

        public init(id: Int64, version: String, name: String, direction: String, done: Int64, total: Int64?) {
            (self.id, self.version, self.name, self.direction, self.done, self.total) =
                (id, version, name, direction, done, total)
        }

        public init(_ job: Job) {
            self.init(
                id: job.id.rawValue,
                version: job.migrationVersion,
                name: job.migrationName,
                direction: job.direction.rawValue,
                done: job.planDone,
                total: job.planTotal
            )
        }

        /// `job 1 (101 count_items) paused at 140,400/300,000` (`state` "paused"), without the progress before it is
        /// planned.
        func text(_ state: String? = nil) -> String {
            let progress = total.map { " at \(ProgressText.count(done))/\(ProgressText.count($0))" } ?? ""
            let title = StatusLine.title(version: version, name: name, direction: direction)
            return "job \(id) (\(title))" + (state.map { " \($0)" } ?? "") + progress
        }
    }

    /// Nothing to do: `idle, waiting for jobs (worker host/abc/sluice.service)`; with the first of the paused jobs that
    /// hold the graph it serves (no other job on it starts), which "idle" alone would hide: `...; job 1 (101
    /// count_items) paused at 140,400/300,000 holds its graph: sluice resume 1 or sluice cancel 1`.
    public static func idle(worker: String, paused: [JobSummary] = []) -> String {
        let line = "idle, waiting for jobs (worker \(worker))"
        guard let first = paused.first else { return line }
        let more = paused.count > 1 ? " (\(paused.count - 1) more paused)" : ""
        return line + "; " + first.text("paused")
            + " holds its graph: sluice resume \(first.id) or sluice cancel \(first.id)\(more)"
    }

    /// The graph refused the credentials: a configuration problem, not an outage, so the line says what to fix.
    public static func credentialsRefused(by graph: String, retryIn: Duration) -> String {
        """
        graph \(graph) refused the credentials: fix the password (password_file or the credential bolt-password) and \
        reload sluice, or restart it (SLUICE_BOLT_PASSWORD, or a credential a systemd before 252 does not load again \
        at a reload); the job waits, next attempt at the reload or in \(DurationText.format(retryIn.roundedToSeconds))
        """
    }

    /// Postgres answered and refused the connection (`reason`: ``PostgresError/connectionRefused(message:)``): not an
    /// outage, so the line says what to fix and where.
    public static func postgresRefused(reason: String, retryIn: Duration) -> String {
        """
        \(reason): waiting alone cannot fix this; fix the user, password or database (a password file, the credential \
        pgpass included, is read at every attempt once a reload of sluice has systemd load the credential again; a \
        changed [postgres] conninfo or PGPASSWORD takes a restart) or the server's pg_hba.conf; next attempt in \
        \(DurationText.format(retryIn.roundedToSeconds))
        """
    }

    /// Another live daemon uses this daemon's worker identity: `another live daemon uses worker host/sluice.service
    /// (since 2026-11-27T13:14:10Z, pid 4242 on host-b): give each daemon its own [daemon] worker; ...`.
    public static func workerShared(_ worker: String, by other: WorkerPresence) -> String {
        let since = ISO8601DateFormatter().string(from: other.startedAt)
        return """
            another live daemon uses worker \(worker) (since \(since)\(other.process.map { ", \($0)" } ?? "")): give \
            each daemon its own [daemon] worker; this one takes no jobs until that one stops
            """
    }

    /// An outage: `waiting for Postgres: connection refused; next attempt in 4s`.
    /// `waiting for Postgres: connection refused; next attempt in 4s`, and the job the wait holds up, if any: `...;
    /// job 1 (101 count_items) at 59,700/300,000 waits`.
    public static func waiting(for what: String, reason: String, retryIn: Duration, job: JobSummary? = nil) -> String {
        "waiting for \(what): \(reason); next attempt in \(DurationText.format(retryIn.roundedToSeconds))"
            + (job.map { "; \($0.text()) waits" } ?? "")
    }
}

extension Duration {
    /// Whole seconds (at least one), for lines people read.
    var roundedToSeconds: Duration {
        .seconds(max(1, (Double(components.seconds) + Double(components.attoseconds) / 1e18).rounded()))
    }
}
