// The Bolt client's side of scripts/bench-bolt: `RETURN 1` round trips on one connection, then a
// streamed UNWIND, printed as one JSON line. Settings come from the environment the script sets:
// BENCH_URL, BENCH_USER, BENCH_PASSWORD, BENCH_DATABASE (empty: none), BENCH_QUERIES, BENCH_ROWS,
// BENCH_RUNS (streaming runs; the median counts), BENCH_WARMUP, BENCH_GOODBYE (0 for FalkorDB).
import Bolt
import Foundation

let environment = ProcessInfo.processInfo.environment
func setting(_ name: String, _ fallback: String) -> String {
    environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
}

let url = try BoltURL(parsing: setting("BENCH_URL", "bolt://127.0.0.1:7687"))
let auth: BoltAuth =
    environment["BENCH_USER"].map { .basic(user: $0, password: setting("BENCH_PASSWORD", "")) } ?? .none
let options = BoltTransactionOptions(database: environment["BENCH_DATABASE"].flatMap { $0.isEmpty ? nil : $0 })
let queries = Int(setting("BENCH_QUERIES", "2000"))!
let rows = Int(setting("BENCH_ROWS", "1000000"))!
let runs = Int(setting("BENCH_RUNS", "3"))!
let warmup = Int(setting("BENCH_WARMUP", "1000"))!

let connection = try await BoltConnection.connect(
    to: url,
    auth: auth,
    sendsGoodbye: setting("BENCH_GOODBYE", "1") == "1"
)
let clock = ContinuousClock()
func milliseconds(_ duration: Duration) -> Double { Double(duration / .nanoseconds(1)) / 1e6 }

for _ in 0..<warmup {  // warm-up: connection, server caches
    _ = try await connection.run("RETURN 1", options: options).consume()
}
var latencies: [Double] = []
for _ in 0..<queries {
    let start = clock.now
    _ = try await connection.run("RETURN 1", options: options).collect()
    latencies.append(milliseconds(clock.now - start))
}
let sorted = latencies.sorted()
let (p50, p99) = (sorted[sorted.count / 2], sorted[min(sorted.count - 1, sorted.count * 99 / 100)])

var rates: [Double] = []
for _ in 0..<runs {
    let start = clock.now
    var count = 0
    for try await _ in try await connection.run("UNWIND range(1, \(rows)) AS i RETURN i", options: options) {
        count += 1
    }
    precondition(count == rows, "streamed \(count) rows, expected \(rows)")
    rates.append(Double(rows) / (milliseconds(clock.now - start) / 1000))
}
await connection.close()
print(#"{"p50_ms": \#(p50), "p99_ms": \#(p99), "rows_per_s": \#(rates.sorted()[rates.count / 2])}"#)
