import Bolt
import Synchronization
import Throttle

/// The application as a throttle test sees it: a read timed on a connection of its own, about every `interval`,
/// independent of the job's probe and pacer. The wait between reads is random (half to one and a half `interval`), so
/// the reads do not fall into step with the job's batches and sample only the gaps between them. Its percentiles come from a ``LatencyWindow`` ignoring as many outliers as the
/// pacer's, so the two measure p99 alike.
final class ApplicationProber: Sendable {
    struct Sample: Sendable {
        var at: ContinuousClock.Instant
        var latency: Duration
    }

    let outliers: Int
    private let samples = Mutex<[Sample]>([])
    private let task = Mutex<Task<Void, Never>?>(nil)
    private let failure = Mutex<String?>(nil)

    /// Starts probing `query` on `server`, waiting about `interval` between the end of one read and the next.
    init(server: BoltTestServer, query: String, interval: Duration, outliers: Int) async throws {
        self.outliers = outliers
        let connection = try await server.connect()
        let running = Task { [self] in
            while !Task.isCancelled {
                let start = ContinuousClock.now
                do {
                    _ = try await server.query(connection, query)
                } catch {
                    failure.withLock { $0 = "\(error)" }
                    break
                }
                let end = ContinuousClock.now
                samples.withLock { $0.append(Sample(at: end, latency: end - start)) }
                try? await Task.sleep(for: interval * Double.random(in: 0.5...1.5))
            }
            await connection.close()
        }
        task.withLock { $0 = running }
    }

    /// The last read timed, if any: after a failure, whether the reads went on.
    var latest: Sample? { samples.withLock { $0.last } }

    func stop() {
        task.withLock { $0?.cancel() }
    }

    /// The statistics of the samples that ended in `from...through`.
    func statistics(from: ContinuousClock.Instant, through: ContinuousClock.Instant) -> LatencyStatistics? {
        let chosen = samples.withLock { $0.filter { $0.at >= from && $0.at <= through } }
        var window = LatencyWindow<ContinuousClock.Instant>(
            maxAge: from.duration(to: through) + .seconds(1),
            maxCount: max(1, chosen.count),
            outliers: outliers
        )
        for sample in chosen {
            window.record(sample.latency, from: .probe, at: sample.at)
        }
        return window.statistics(of: .probe)
    }

    /// Waits until `count` samples have ended after `start`; returns when the last of them did.
    func waitForSamples(
        _ count: Int,
        after start: ContinuousClock.Instant,
        timeout: Duration = .seconds(120)
    ) async throws -> ContinuousClock.Instant {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let failed = failure.withLock({ $0 }) { throw TestFailure("the application's probe failed: \(failed)") }
            let after = samples.withLock { $0.filter { $0.at > start } }
            if after.count >= count { return after[count - 1].at }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw TestFailure("timed out after \(timeout) waiting for \(count) probe samples")
    }
}
