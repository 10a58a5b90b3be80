import Bolt
import Foundation
import Migrations

/// The graph's own record of which job may change a set of items now, `(:SluiceGraph {key, holder, until})`: one job
/// at a time whatever job store it comes from.
///
/// Postgres admits one running job per graph, but only among the jobs of one job store: two stores (two schemas, two
/// Postgres servers) aimed at one graph each admit a job of their own. The hold lives in the graph, so every store
/// meets it. It is keyed by the items a data step changes (``key(of:)``: its labels or relationship type), not by the
/// whole graph, so that applications sharing one database under labels of their own (and the test suites, which
/// share one server the same way) do not wait for each other.
///
/// A job takes the hold when it opens its graph-side node (free, already its own, or expired), every batch statement
/// renews it in the same atomic unit as the job node's compare-and-set and changes nothing unless its job still holds
/// it, and the job gives it up when it ends, is paused or cancelled. `until` is the graph server's clock
/// (`timestamp()`, milliseconds) plus the lease duration, so the hold of a job whose worker died frees itself as its
/// lease does. The holder is the job node's key (``GraphJobNode/key(_:)``): a worker that takes a job over from
/// another of its store holds it at once, and fencing between the two stays with the lease token.
///
/// Two jobs that create the key's node at the same moment may each create one on a server with real transactions
/// (ArcadeDB's MERGE does not serialize creation): every statement uses the node with the lowest id, so only one of
/// them holds.
public enum GraphHold {
    /// Who holds the items, as the graph says: the job's own description and the end of its hold.
    public struct Holder: Sendable, Hashable, CustomStringConvertible {
        /// `job 12 (007 up) of job store "sluice", worker host/sluice.service`.
        public var name: String
        /// When the hold expires unless its batches renew it; nil when the server did not say.
        public var until: Date?

        public init(name: String, until: Date?) {
            self.name = name
            self.until = until
        }

        public var description: String {
            guard let until else { return name }
            return "\(name) until \(until.formatted(.iso8601))"
        }
    }

    /// The answer to ``acquire``.
    public enum Answer: Sendable, Hashable {
        /// The job holds the items now.
        case held
        /// Another job holds them.
        case busy(Holder)

        init(_ record: BoltRecord?) {
            guard record?["free"] != .boolean(true) else {
                self = .held
                return
            }
            let until = record?["until"]?.intValue.map { Date(timeIntervalSince1970: Double($0) / 1000) }
            let name: String? = if case .string(let name)? = record?["holder"] { name } else { nil }
            self = .busy(Holder(name: name ?? "another job", until: until))
        }
    }

    /// The key of the items a data step changes: its kind and its labels (sorted) or relationship type.
    public static func key(of step: DataStep) -> String {
        "\(step.pattern.kind.rawValue):\(step.pattern.labelsOrTypes.sorted().joined(separator: ":"))"
    }

    /// Takes the hold for `$sluice_job` (described by `$sluice_holder`) for `$sluice_hold` milliseconds when it is
    /// free, already the job's, or expired. Returns `free` (whether the job holds it now), and the holder and `until`.
    /// The write lock comes first (a SET), so two jobs cannot both read it free.
    public static let acquire = """
        MERGE (sluice_graph:SluiceGraph {key: $sluice_graph})
        SET sluice_graph.lock = coalesce(sluice_graph.lock, 0) + 1
        WITH sluice_graph ORDER BY id(sluice_graph) LIMIT 1
        WITH sluice_graph, (sluice_graph.holder = $sluice_job OR coalesce(sluice_graph.until, 0) < timestamp()) AS free
        SET sluice_graph.holder = CASE WHEN free THEN $sluice_job ELSE sluice_graph.holder END,
            sluice_graph.holder_name = CASE WHEN free THEN $sluice_holder ELSE sluice_graph.holder_name END,
            sluice_graph.until = CASE WHEN free THEN timestamp() + $sluice_hold ELSE sluice_graph.until END
        RETURN free, sluice_graph.holder_name AS holder, sluice_graph.until AS until
        """

    /// Runs ``acquire`` for `step`'s items on behalf of `holder` (a job node's key, or a finalize's own), described as
    /// `name`, for `duration`; in the server's atomic unit: ArcadeDB's auto-commit statements keep a write that raced
    /// another and failed.
    static func take(
        _ step: DataStep,
        for holder: BoltValue,
        named name: String,
        lasting duration: Duration,
        on connection: BoltConnection,
        options: BoltTransactionOptions,
        unit: BoltCapabilities.AtomicUnit
    ) async throws(BoltError) -> Answer {
        let records = try await connection.runAtomically(
            acquire,
            parameters: [
                "sluice_graph": .string(key(of: step)), "sluice_job": holder, "sluice_holder": .string(name),
                "sluice_hold": milliseconds(duration),
            ],
            options: options,
            unit: unit
        )
        return Answer(records.first)
    }

    /// The batch statement's part, after the job node's compare-and-set: no row unless the job holds the items, and
    /// their hold renewed.
    static let renewal = """
        MATCH (sluice_graph:SluiceGraph {key: $sluice_graph})
        WITH sluice_job, sluice_graph ORDER BY id(sluice_graph) LIMIT 1
        SET sluice_graph.lock = coalesce(sluice_graph.lock, 0) + 1
        WITH sluice_job, sluice_graph
        WHERE sluice_graph.holder = $sluice_job
        SET sluice_graph.until = timestamp() + $sluice_hold
        """

    /// Gives the hold up when the job ends or stops: only while the lease's token is the job node's, so a worker that
    /// was taken over cannot free the hold its successor uses. The holder stays, as the last one.
    public static let release = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        WHERE sluice_job.token = $sluice_token
        MATCH (sluice_graph:SluiceGraph {key: $sluice_graph})
        WHERE sluice_graph.holder = $sluice_job
        SET sluice_graph.until = 0
        RETURN count(*) AS released
        """

    /// Gives up every hold of the job, whatever items it is for, while the lease's token is the job node's, as
    /// ``release`` does: for a job whose migration file, which names the items (``key(of:)``), cannot be read.
    static let releaseEvery = """
        MATCH (sluice_job:SluiceJob {id: $sluice_job})
        WHERE sluice_job.token = $sluice_token
        MATCH (sluice_graph:SluiceGraph)
        WHERE sluice_graph.holder = $sluice_job
        SET sluice_graph.until = 0
        RETURN count(*) AS released
        """

    /// Gives up a hold no job node fences (`sluice finalize`'s): only while `$sluice_job` still holds it.
    public static let releaseHeld = """
        MATCH (sluice_graph:SluiceGraph {key: $sluice_graph})
        WHERE sluice_graph.holder = $sluice_job
        SET sluice_graph.until = 0
        """

    /// The index the lookup of a hold by `key` uses: one node per set of items ever migrated.
    public static let index = "CREATE INDEX FOR (sluice_graph:SluiceGraph) ON (sluice_graph.key)"

    /// Whether a listed index serves the lookup of a hold by `key`.
    public static func isIndex(_ index: GraphIndex) -> Bool {
        index.entity == .node && index.labelsOrTypes.contains("SluiceGraph") && index.properties.first == "key"
    }

    /// A hold's duration as the statements' `$sluice_hold`: whole milliseconds, at least one.
    public static func milliseconds(_ hold: Duration) -> BoltValue {
        .integer(max(1, hold.wholeMilliseconds))
    }
}
