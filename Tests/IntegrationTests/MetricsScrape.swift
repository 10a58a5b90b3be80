import Foundation
import NIOCore
import NIOPosix
import Testing

/// A daemon's `/metrics` endpoint seen from outside: finds the port it logged (the tests listen on port 0, so
/// suites never collide on one) and fetches pages over a real TCP connection.
struct MetricsScrape {
    let port: Int

    /// Waits until `daemon` logged the address it serves metrics at.
    static func of(_ daemon: JobStoreTestDatabase.Child, timeout: Duration = .seconds(30)) async throws -> MetricsScrape
    {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let match = daemon.standardError.firstMatch(
                of: /metrics served at http:\/\/127\.0\.0\.1:(\d+)\/metrics/
            ),
                let port = Int(match.1)
            {
                return MetricsScrape(port: port)
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        Issue.record("the daemon did not log its metrics address: \(daemon.standardError.suffix(2_000))")
        throw CancellationError()
    }

    /// One `GET path` on a connection of its own: the status code, the header block and the body.
    func get(_ path: String = "/metrics") async throws -> (status: Int, headers: String, body: String) {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "127.0.0.1", port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let text = try await channel.executeThenClose { inbound, outbound in
            try await outbound.write(
                ByteBuffer(string: "GET \(path) HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
            )
            var response = ByteBuffer()
            for try await var chunk in inbound { response.writeBuffer(&chunk) }
            return String(buffer: response)
        }
        let parts = text.split(separator: "\r\n\r\n", maxSplits: 1, omittingEmptySubsequences: false)
        let headers = String(parts.first ?? "")
        let status = Int(headers.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, headers, parts.count > 1 ? String(parts[1]) : "")
    }

    /// The samples of a `/metrics` page, by name with labels as written (`sluice_jobs{state="queued"}`).
    func samples() async throws -> [String: Double] {
        let (status, _, body) = try await get()
        #expect(status == 200)
        #expect(body.hasSuffix("# EOF\n"), "no # EOF at the end")
        var samples: [String: Double] = [:]
        for line in body.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                Issue.record("not a sample line: \(line)")
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    /// Scrapes until `condition` holds for the samples (at most `timeout`); returns the last samples.
    func waitFor(
        _ what: String,
        timeout: Duration,
        _ condition: ([String: Double]) -> Bool
    ) async throws -> [String: Double] {
        let deadline = ContinuousClock.now + timeout
        while true {
            let samples = try await samples()
            if condition(samples) { return samples }
            if ContinuousClock.now > deadline {
                Issue.record("metrics never showed \(what) within \(timeout): \(samples.sorted { $0.key < $1.key })")
                return samples
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    /// `{job="...",migration="...",direction="..."}`, as the daemon labels a job's series.
    static func labels(job: some CustomStringConvertible, migration: String, direction: String) -> String {
        "{job=\"\(job)\",migration=\"\(migration)\",direction=\"\(direction)\"}"
    }
}
