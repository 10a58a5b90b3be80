import NIOCore

@testable import Bolt

/// The seed corpus: well-formed inputs with every kind of value, from which libFuzzer's mutations start.
extension FuzzTarget {
    var seeds: [[UInt8]] {
        switch self {
        case .packStream:
            return Self.sampleValues.map(Self.encoded) + Self.legacyDateTimes
        case .messages:
            // Each seed: a control byte (where to split the reads), then chunked messages.
            return Self.sampleMessages.map { [0x07] + $0 }
        }
    }

    static func encoded(_ value: BoltValue) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writePackStream(value)
        return Array(buffer.readableBytesView)
    }

    /// Bolt 4's date-times (wall-clock seconds), which this client decodes but never writes.
    static let legacyDateTimes: [[UInt8]] = [
        [0xB3, 0x46, 0xC9, 0x1F, 0xA4, 0x2A, 0xC9, 0x0E, 0x10],
        [0xB3, 0x66, 0xC9, 0x1F, 0xA4, 0x2A, 0x8C] + Array("Europe/Paris".utf8),
    ]

    static var sampleValues: [BoltValue] {
        let alice = BoltValue.Node(
            id: 1,
            labels: ["Person"],
            properties: ["name": "Alice", "age": 42],
            elementID: "4:x:1"
        )
        let bob = BoltValue.Node(id: 2, labels: [], properties: [:], elementID: "4:x:2")
        let knows = BoltValue.UnboundRelationship(id: 7, type: "KNOWS", properties: ["since": 2020], elementID: "5:x:7")
        let temporal: [BoltValue] = [
            .date(try! BoltDate(year: 2024, month: 5, day: 1)),
            .time(try! BoltTime(nanosecondsSinceMidnight: 45_296_000_000_789, offsetSeconds: 7200)),
            .localTime(try! BoltLocalTime(nanosecondsSinceMidnight: 1)),
            .dateTime(try! BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .offset(seconds: 3600))),
            .dateTime(try! BoltDateTime(secondsSinceEpoch: -1, nanoseconds: 5, zone: .identifier("Europe/Berlin"))),
            .localDateTime(try! BoltLocalDateTime(secondsSinceEpoch: 1_714_566_896, nanoseconds: 500_000_000)),
            .duration(try! BoltDuration(months: 14, days: 3, seconds: -14_706, nanoseconds: 700_000_000)),
            .point(BoltPoint(srid: BoltPoint.wgs84, x: 13.4, y: 52.5)),
            .point(BoltPoint(srid: BoltPoint.cartesian3D, x: 1, y: 2, z: 3)),
        ]
        return temporal + [
            .null, true, 0, -17, 300, 70_000, .integer(.max), .integer(.min), 1.5, .float(.nan), "", "Größe",
            .string(String(repeating: "x", count: 300)), .bytes([1, 2, 3]), .bytes(Array(repeating: 9, count: 300)),
            [1, [2, [3, [4]]]], .list(temporal), ["a": 1, "b": ["c": nil]],
            .map(["when": temporal[3], "where": temporal[7]]),
            .list((0..<20).map { .integer(Int64($0) * 1000) }),
            .node(alice), .unboundRelationship(knows),
            .relationship(
                BoltValue.Relationship(
                    id: 7,
                    startNodeID: 1,
                    endNodeID: 2,
                    type: "KNOWS",
                    properties: [:],
                    elementID: "5:x:7",
                    startNodeElementID: "4:x:1",
                    endNodeElementID: "4:x:2"
                )
            ),
            .path(BoltValue.Path(nodes: [alice, bob], relationships: [knows], indices: [1, 1, -1, 0])),
            .structure(BoltValue.Structure(tag: 0x56, fields: [.bytes([0xC8]), .bytes([1, 2])])),
        ]
    }

    /// Chunked server messages: a result stream, a failure, an IGNORED, NOOPs, a message over several chunks.
    static var sampleMessages: [[UInt8]] {
        func message(_ tag: UInt8, _ fields: [BoltValue]) -> ByteBuffer {
            var buffer = ByteBuffer()
            buffer.writePackStreamStructureHeader(tag: tag, fieldCount: fields.count)
            for field in fields {
                buffer.writePackStream(field)
            }
            return buffer
        }
        func chunked(_ messages: [ByteBuffer], chunkSize: Int = Int(UInt16.max)) -> [UInt8] {
            var out = ByteBuffer()
            for var message in messages {
                while message.readableBytes > 0 {
                    var chunk = message.readSlice(length: min(chunkSize, message.readableBytes))!
                    out.writeInteger(UInt16(chunk.readableBytes))
                    out.writeBuffer(&chunk)
                }
                out.writeInteger(UInt16(0))
            }
            return Array(out.readableBytesView)
        }
        let values = sampleValues
        let success = message(0x70, [["fields": ["a", "b"], "t_first": 1, "qid": 0]])
        let records = values.map { message(0x71, [[$0, 1]]) }
        let summary = message(
            0x70,
            [["bookmark": "bm:1", "type": "w", "stats": ["nodes-created": 1], "has_more": false]]
        )
        let failure = message(0x7F, [["code": "Neo.ClientError.Statement.SyntaxError", "message": "bad"]])
        return [
            chunked([success] + records + [summary]),
            chunked([failure, message(0x7E, [])]),
            [0x00, 0x00] + chunked([success]),
            chunked([message(0x71, [.list(values)])], chunkSize: 7),
        ]
    }
}
