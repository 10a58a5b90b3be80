// scripts/bench-micro's harness: throughput and heap allocations of the Bolt client's hot paths, with no
// server: PackStream encoding and decoding of a batch's 10,000-id list and of typical records, and chunk
// decoding of a planning stream (RECORD messages of one id each) and of a message spanning chunks. Heap
// allocations are counted by CAllocationCounter, a malloc interposer linked into this executable only.
// Prints a Markdown table and, with --json, one JSON document. BENCH_SECONDS (default 1) is how long each
// case runs after a warm-up; BENCH_ITERATIONS=N runs each exactly N times instead (`scripts/bench-micro
// --callgrind` does, so that instruction counts repeat from run to run).
import Bolt
import CAllocationCounter
import Foundation
import NIOCore

let environment = ProcessInfo.processInfo.environment
let seconds = Double(environment["BENCH_SECONDS"] ?? "") ?? 1
let fixedIterations = Int(environment["BENCH_ITERATIONS"] ?? "")
let json = CommandLine.arguments.contains("--json")

/// One case: `body` does one operation on `items` items and returns a value kept from the optimizer.
struct Case {
    let name: String
    let items: Int
    let unit: String
    let body: () throws -> Int
}

struct Measurement: Encodable {
    let name: String
    let items: Int
    let unit: String
    let iterations: Int
    let nanosecondsPerOperation: Double
    let itemsPerSecond: Double
    let allocationsPerOperation: Double
    let bytesAllocatedPerOperation: Double
}

func measure(_ benchCase: Case) throws -> Measurement {
    var sink = 0
    for _ in 0..<3 { sink &+= try benchCase.body() }  // warm-up: buffers reach their size
    // Allocations over a fixed number of operations, apart from the timing loop's own bookkeeping.
    let countedRuns = 20
    let allocationsBefore = sluice_allocation_count()
    let bytesBefore = sluice_allocated_bytes()
    for _ in 0..<countedRuns { sink &+= try benchCase.body() }
    let allocations = Double(sluice_allocation_count() - allocationsBefore) / Double(countedRuns)
    let bytes = Double(sluice_allocated_bytes() - bytesBefore) / Double(countedRuns)
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int(seconds * 1000))
    let start = clock.now
    var iterations = 0
    if let fixedIterations {
        for _ in 0..<fixedIterations { sink &+= try benchCase.body() }
        iterations = fixedIterations
    } else {
        while clock.now < deadline {
            for _ in 0..<8 { sink &+= try benchCase.body() }
            iterations += 8
        }
    }
    let elapsed = clock.now - start
    let nanoseconds = Double(elapsed / .nanoseconds(1)) / Double(iterations)
    if sink == 42 { print("") }  // keeps `sink` alive
    return Measurement(
        name: benchCase.name,
        items: benchCase.items,
        unit: benchCase.unit,
        iterations: iterations,
        nanosecondsPerOperation: nanoseconds,
        itemsPerSecond: Double(benchCase.items) / nanoseconds * 1e9,
        allocationsPerOperation: allocations,
        bytesAllocatedPerOperation: bytes
    )
}

// MARK: - Inputs

let ids = (0..<10_000).map { Int64(3_000_000 + $0 * 7) }
let idList = BoltValue.list(ids.map { .integer($0) })
/// What `sluice run` sends with every id-list batch (BatchStatement.parameters).
let batchParameters: [String: BoltValue] = [
    "sluice_ids": idList, "sluice_job": .string("42"), "sluice_token": .integer(7),
    "sluice_from": .integer(120_000), "sluice_to": .integer(130_000),
]
let batchQuery = """
    UNWIND $sluice_ids AS sluice_id MATCH (p:Project) WHERE id(p) = sluice_id AND (p.name IS NOT NULL AND \
    p.normalizedName IS NULL) SET p.normalizedName = toLower(trim(p.name)), p._sluice_m007 = true \
    RETURN count(p) AS sluice_changed
    """
/// A row of `MATCH (p:Project) RETURN id(p), p.name, p.status, p.normalizedName`.
let projectRow = BoltValue.list([.integer(1_234_567), .string("  Project 1234567 ALPHA  "), .string("active"), .null])
/// A row of `MATCH (p:Project) RETURN p`.
let nodeRow = BoltValue.list([
    .node(
        .init(
            id: 1_234_567,
            labels: ["Project"],
            properties: [
                "name": .string("  Project 1234567 ALPHA  "), "status": .string("active"),
                "normalizedName": .string("project 1234567 alpha"), "createdAt": .integer(1_764_000_000),
            ],
            elementID: "4:a3c1f6de-0b7e-4d1c-9a3f-5e2b8c7d6f10:1234567"
        )
    )
])

func encoded(_ value: BoltValue) -> ByteBuffer {
    var buffer = ByteBuffer()
    buffer.writePackStream(value)
    return buffer
}

/// `count` RECORD messages, each chunked as a server sends them, back to back in one buffer.
func recordStream(_ row: BoltValue, count: Int) -> ByteBuffer {
    var message = ByteBuffer()
    message.writePackStreamStructureHeader(tag: 0x71, fieldCount: 1)
    message.writePackStream(row)
    var stream = ByteBuffer()
    for _ in 0..<count { stream.writeBoltChunks(of: message) }
    return stream
}

let idListBytes = encoded(idList)
let projectRowBytes = encoded(projectRow)
let nodeRowBytes = encoded(nodeRow)
let planningStream = recordStream(.list([.integer(3_000_123)]), count: 10_000)
let projectStream = recordStream(projectRow, count: 1_000)
/// One RECORD whose value is the 10,000-id list: 90 KB, two chunks.
let largeRecord = recordStream(.list([idList]), count: 1)

var scratch = ByteBuffer()
scratch.reserveCapacity(256 * 1024)
var wire = ByteBuffer()
wire.reserveCapacity(256 * 1024)

/// Decodes every message of `stream` through the chunk decoder and the message decoder, as the channel does.
func decodeStream(_ stream: ByteBuffer) throws -> Int {
    var input = stream
    var decoder = BoltChunkDecoder()
    var values = 0
    while var message = try decoder.decode(buffer: &input) {
        guard case .record(let fields) = try BoltResponse(from: &message) else { fatalError("not a RECORD") }
        values &+= fields.count
    }
    return values
}

/// Encoding `value` into the scratch buffer, one operation.
@MainActor func encoding(_ name: String, _ value: BoltValue, items: Int, unit: String) -> Case {
    Case(name: name, items: items, unit: unit) {
        scratch.clear()
        scratch.writePackStream(value)
        return scratch.readableBytes
    }
}

/// Decoding the PackStream list `bytes` hold, one operation.
@MainActor func decodingList(_ name: String, _ bytes: ByteBuffer, items: Int, unit: String) -> Case {
    Case(name: name, items: items, unit: unit) {
        var buffer = bytes
        guard case .list(let values) = try buffer.readPackStreamValue() else { fatalError("not a list") }
        return values.count
    }
}

let cases: [Case] = [
    encoding("encode 10,000-id list (BoltValue.list)", idList, items: ids.count, unit: "ids"),
    Case(name: "encode 10,000 ids ([Int64], writePackStream(integers:))", items: ids.count, unit: "ids") {
        scratch.clear()
        scratch.writePackStream(integers: ids)
        return scratch.readableBytes
    },
    Case(name: "batch parameters from [Int64] (BatchStatement's id list)", items: ids.count, unit: "ids") {
        let list = BoltValue.list(ids[...].map { .integer($0) })
        guard case .list(let values) = list else { return 0 }
        return values.count
    },
    Case(name: "RUN message of a batch (10,000 ids), chunked", items: ids.count, unit: "ids") {
        wire.clear()
        wire.writeBoltMessage(.run(query: batchQuery, parameters: batchParameters, extra: [:]), scratch: &scratch)
        return wire.readableBytes
    },
    decodingList("decode 10,000-id list", idListBytes, items: ids.count, unit: "ids"),
    encoding("encode record (id, 2 strings, null)", projectRow, items: 1, unit: "records"),
    decodingList("decode record (id, 2 strings, null)", projectRowBytes, items: 1, unit: "records"),
    encoding("encode record (node, 4 properties)", nodeRow, items: 1, unit: "records"),
    decodingList("decode record (node, 4 properties)", nodeRowBytes, items: 1, unit: "records"),
    Case(name: "chunks + RECORD: planning stream, 10,000 one-id records", items: 10_000, unit: "records") {
        try decodeStream(planningStream)
    },
    Case(name: "chunks + RECORD: 1,000 (id, 2 strings, null) records", items: 1_000, unit: "records") {
        try decodeStream(projectStream)
    },
    Case(name: "chunks + RECORD: one 10,000-id list over 2 chunks", items: ids.count, unit: "ids") {
        try decodeStream(largeRecord)
    },
]

let measurements = try cases.map(measure)
if json {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(["cases": measurements]), as: UTF8.self))
} else {
    print("| case | per op | items/s | allocations/op | allocations/item | KB allocated/op |")
    print("|---|---:|---:|---:|---:|---:|")
    for m in measurements {
        let perOp =
            m.nanosecondsPerOperation >= 1_000_000
            ? String(format: "%.2f ms", m.nanosecondsPerOperation / 1e6)
            : m.nanosecondsPerOperation >= 1_000
                ? String(format: "%.1f µs", m.nanosecondsPerOperation / 1e3)
                : String(format: "%.0f ns", m.nanosecondsPerOperation)
        print(
            "| \(m.name) | \(perOp) | \(String(format: "%.3g", m.itemsPerSecond)) \(m.unit) | "
                + "\(String(format: "%.1f", m.allocationsPerOperation)) | "
                + "\(String(format: "%.3f", m.allocationsPerOperation / Double(m.items))) | "
                + "\(String(format: "%.1f", m.bytesAllocatedPerOperation / 1024)) |"
        )
    }
}
