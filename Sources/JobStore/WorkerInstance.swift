import Foundation

/// One daemon process under its worker identity: what it announces in the job store
/// (``JobStore/announce(_:serving:version:aliveFor:takingOver:)``), and what its claims and its retirement are
/// checked against.
///
/// An identity is one live daemon's: a claim lets an identity take its own live lease at once (the restart after
/// `kill -9`), so two processes sharing one (a configuration copied to a second host) would take the job from each
/// other about once a second. The instance tells them apart.
public struct WorkerInstance: Sendable, Equatable {
    public let worker: WorkerIdentity
    /// Unique to the process: a restart under the same identity is another instance.
    public let id: UUID
    /// Where it runs, for the operator told that two daemons share an identity: `pid 4242 on host-b`.
    public let process: String

    public init(worker: WorkerIdentity, id: UUID = UUID(), process: String = Self.thisProcess) {
        self.worker = worker
        self.id = id
        self.process = process
    }

    /// `pid <pid> on <hostname>`.
    public static var thisProcess: String { "pid \(getpid()) on \(ProcessInfo.processInfo.hostName)" }
}
