import Foundation

/// A daemon that serves the job store now, as it last announced itself
/// (``JobStore/announce(_:serving:version:aliveFor:takingOver:)``): what tells an operator whether a queued job will be
/// taken at all.
public struct WorkerPresence: Sendable, Equatable {
    public var worker: WorkerIdentity
    /// The graph server it takes jobs for (a ``JobTarget/url``): only jobs queued for exactly this URL.
    public var url: String
    /// Its sluice version.
    public var version: String
    /// When it began serving, on Postgres's clock.
    public var startedAt: Date
    /// When it last announced itself.
    public var seenAt: Date
    /// Where it runs (``WorkerInstance/process``); nil when announced before schema step 9.
    public var process: String?

    public init(worker: WorkerIdentity, url: String, version: String, startedAt: Date, seenAt: Date, process: String?) {
        self.worker = worker
        self.url = url
        self.version = version
        self.startedAt = startedAt
        self.seenAt = seenAt
        self.process = process
    }
}
