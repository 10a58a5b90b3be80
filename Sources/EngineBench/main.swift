// scripts/bench's "bare loop": sluice's own planning query and batch statements for one migration,
// sent back to back on one connection with no job store and no bookkeeping: the floor of the
// design on a server, against which `sluice run` is measured. Prints one JSON line: planning time,
// items, every batch's time, and the migration's verify query (as the catalog parsed it). It plans as sluice does (PlanReader). Settings from the environment scripts/bench sets: BENCH_URL,
// BENCH_USER, BENCH_PASSWORD, BENCH_DATABASE (empty: none), BENCH_GOODBYE (0 for FalkorDB),
// BENCH_MIGRATIONS (folder), BENCH_VERSION, BENCH_BATCH, BENCH_ADDRESSING (idList or idRange to
// override the probed choice, for the addressing spike).
import Bolt
import Engine
import Foundation
import Migrations

let environment = ProcessInfo.processInfo.environment
func setting(_ name: String, _ fallback: String) -> String {
    environment[name].flatMap { $0.isEmpty ? nil : $0 } ?? fallback
}

let url = try BoltURL(parsing: setting("BENCH_URL", "bolt://127.0.0.1:7687"))
let auth: BoltAuth =
    environment["BENCH_USER"].map { .basic(user: $0, password: setting("BENCH_PASSWORD", "")) } ?? .none
let options = BoltTransactionOptions(database: environment["BENCH_DATABASE"].flatMap { $0.isEmpty ? nil : $0 })
let batchSize = Int(setting("BENCH_BATCH", "10000"))!
let catalog = try MigrationCatalog.load(folder: setting("BENCH_MIGRATIONS", "migrations"))
guard let version = MigrationVersion(setting("BENCH_VERSION", "007")), let migration = catalog.migration(version),
    let up = migration.direction(.up), let step = up.dataSteps.first
else {
    fatalError("no migration \(setting("BENCH_VERSION", "007")) with an up data step")
}

let connection = try await BoltConnection.connect(
    to: url,
    auth: auth,
    sendsGoodbye: setting("BENCH_GOODBYE", "1") == "1"
)
let capabilities = try await BoltCapabilities.probe(connection, options: options)
let statement = BatchStatement(
    step: step,
    addressing: environment["BENCH_ADDRESSING"].flatMap(BatchStatement.Addressing.init(rawValue:))
        ?? BatchStatement(step: step, capabilities: capabilities).addressing
)
let clock = ContinuousClock()
func milliseconds(_ duration: Duration) -> Double { Double(duration / .nanoseconds(1)) / 1e6 }

let started = clock.now
// Planned as sluice plans (PlanReader: id windows or groups of ids, as the server allows, in ascending order), kept
// in memory instead of the job store.
var ids: [Int64] = []
let reader = PlanReader(
    connection: connection,
    statement: statement,
    options: options,
    chunkSize: 100_000,
    window: 50_000
)
_ = try await reader.readAll(parameters: [:]) { chunk in ids.append(contentsOf: chunk) }
let planning = clock.now - started

let job = BoltValue.string("bench/\(UInt64.random(in: 1...UInt64.max))")
_ = try await connection.run(
    GraphJobNode.open,
    parameters: [
        "sluice_job": job, "sluice_token": .integer(1), "sluice_migration": .string("bench"),
        "sluice_direction": .string("up"),
    ],
    options: options
).collect()
// Batches change nothing unless the job holds the step's items, as a job does.
let hold: [String: BoltValue] = [
    "sluice_graph": .string(GraphHold.key(of: statement.step)), "sluice_job": job, "sluice_token": .integer(1),
    "sluice_holder": .string("sluice-bench"), "sluice_hold": GraphHold.milliseconds(.seconds(600)),
]
_ = try await connection.run(GraphHold.acquire, parameters: hold, options: options).collect()
var batches: [Double] = []
var changed: Int64 = 0
var offset = 0
while offset < ids.count {
    let slice = ids[offset..<min(ids.count, offset + batchSize)]
    let start = clock.now
    let records = try await connection.runAtomically(
        statement.batch,
        parameters: statement.parameters(ids: slice, job: job, token: 1, from: Int64(offset), hold: .seconds(600)),
        options: options,
        unit: capabilities.atomicUnit
    )
    batches.append(milliseconds(clock.now - start))
    changed += records.first?["sluice_changed"]?.intValue ?? 0
    offset += slice.count
}
_ = try await connection.run(GraphHold.release, parameters: hold, options: options).collect()
_ = try await connection.run(
    "MATCH (sluice_job:SluiceJob {id: $sluice_job}) DELETE sluice_job",
    parameters: ["sluice_job": job],
    options: options
).collect()
let result: [String: Any] = [
    "planning_ms": milliseconds(planning), "items": ids.count, "changed": changed, "batches_ms": batches,
    "total_ms": milliseconds(clock.now - started), "addressing": statement.addressing.rawValue,
    "plan_reading": statement.planReading.rawValue,
    // Not run here: scripts/bench times it apart, as what sluice runs after its last batch and this loop does not.
    "verify": up.verify?.text ?? "",
]
print(String(decoding: try JSONSerialization.data(withJSONObject: result), as: UTF8.self))
await connection.close()
