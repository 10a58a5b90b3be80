import Foundation

/// A serial executor backed by one dedicated OS thread.
///
/// libpq is blocking: `PQconnectdb` waits for DNS, TCP and the server, a statement for its answer (in `poll`, up to
/// the answer timeout: ``PostgresExchange``). Run on Swift's cooperative pool (a handful of threads for the whole
/// process) such calls would stall unrelated tasks, so every ``PostgresConnection`` actor runs on one of these
/// instead, and awaiting it from async code just hops threads.
final class PostgresThreadExecutor: SerialExecutor, @unchecked Sendable {
    private enum Work {
        case job(UnownedJob)
        case block(@Sendable () -> Void)
    }

    // All mutable state is guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [Work] = []
    private var shuttingDown = false
    private var threadID: pthread_t? = nil

    init(name: String) {
        let thread = Thread { [self] in run() }
        thread.name = name
        thread.start()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        append(.job(UnownedJob(job)))
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }

    func checkIsolated() {
        precondition(isCurrent, "expected to run on the Postgres connection's own thread")
    }

    /// True on this executor's thread.
    var isCurrent: Bool {
        condition.lock()
        defer { condition.unlock() }
        guard let threadID else { return false }
        return pthread_equal(threadID, pthread_self()) != 0
    }

    /// Runs `work` on the thread outside any actor (used for cleanup when the owning actor is gone).
    func submit(_ work: @escaping @Sendable () -> Void) {
        append(.block(work))
    }

    /// Lets the thread exit once everything already enqueued has run.
    func shutdown() {
        condition.lock()
        shuttingDown = true
        condition.signal()
        condition.unlock()
    }

    private func append(_ work: Work) {
        condition.lock()
        pending.append(work)
        condition.signal()
        condition.unlock()
    }

    private func run() {
        condition.lock()
        threadID = pthread_self()
        condition.unlock()
        while true {
            condition.lock()
            while pending.isEmpty && !shuttingDown { condition.wait() }
            if pending.isEmpty && shuttingDown {
                condition.unlock()
                return
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            condition.unlock()
            for work in batch {
                switch work {
                case .job(let job): job.runSynchronously(on: asUnownedSerialExecutor())
                case .block(let block): block()
                }
            }
        }
    }
}
