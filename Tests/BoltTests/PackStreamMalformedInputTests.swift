import Bolt
import NIOCore
import Testing

/// The decoder faces a network peer: malformed input must give a `PackStreamError`, never a crash, and
/// leave the reader index where it was.
@Suite("PackStream malformed input")
struct PackStreamMalformedInputTests {
    static let sample: BoltValue = [
        "name": "Größe",
        "ids": [1, 300, 70000, 5_000_000_000, -17],
        "nested": [["a": 1.5], [.bytes([1, 2, 3]), nil, true]],
        "node": .node(BoltValue.Node(id: 1, labels: ["L"], properties: ["k": "v"], elementID: "4:x:1")),
        "date": .date(try! BoltDate(daysSinceEpoch: 19000)),
        "at": .dateTime(try! BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .identifier("Europe/Paris"))),
        "long": .string(String(repeating: "z", count: 300)),
    ]

    @Test("input truncated at every byte position")
    func truncated() throws {
        let bytes = packStreamBytes(Self.sample)
        for length in 0..<bytes.count {
            let error = packStreamError(Array(bytes.prefix(length)))
            switch error {
            case .unexpectedEndOfInput?, .lengthExceedsInput?: break
            default: Issue.record("prefix of \(length) bytes gave \(String(describing: error))")
            }
        }
        #expect(try decodePackStream(bytes) == Self.sample)
    }

    @Test(
        "declared sizes beyond the input",
        arguments: [
            ("D2 FF FF FF FF", 0xFFFF_FFFF, 0), ("D6 FF FF FF FF 01", 0xFFFF_FFFF, 1),
            ("DA FF FF FF FF 81 61 01", 0xFFFF_FFFF, 3), ("CE FF FF FF FF", 0xFFFF_FFFF, 0),
            ("D1 00 05 61 62", 5, 2), ("D5 00 03 01 02", 3, 2), ("DA 00 00 00 02 81 61 01", 2, 3),
            ("CC 02 01", 2, 1), ("85 61", 5, 1), ("93 01", 3, 1), ("A2 81 61", 2, 2), ("B3 44 01", 3, 1),
        ] as [(String, Int, Int)]
    )
    func forgedLengths(hex: String, declared: Int, available: Int) {
        #expect(packStreamError(hexBytes(hex)) == .lengthExceedsInput(declared: declared, available: available))
    }

    @Test(
        "markers PackStream does not define",
        arguments: [0xC4, 0xC5, 0xC6, 0xC7, 0xCF, 0xD3, 0xD7, 0xDB, 0xDC, 0xDD, 0xDE, 0xDF]
            + Array(0xE0...0xEF) as [UInt8]
    )
    func unknownMarkers(marker: UInt8) {
        #expect(packStreamError([marker]) == .unknownMarker(marker, offset: 0))
        #expect(packStreamError([0x92, 0x01, marker]) == .unknownMarker(marker, offset: 2))
    }

    @Test(
        "strings that are not UTF-8",
        arguments: [
            "81 FF", "81 80", "82 C3 28", "82 C0 80", "83 ED A0 80", "81 E2", "84 F4 90 80 80", "83 E2 82 28",
        ]
    )
    func invalidUTF8(hex: String) {
        #expect(packStreamError(hexBytes(hex)) == .invalidUTF8(offset: 0))
        #expect(packStreamError([0x91] + hexBytes(hex)) == .invalidUTF8(offset: 1))
    }

    @Test("a map key must be a string")
    func nonStringKeys() {
        #expect(packStreamError([0xA1, 0x01, 0x01]) == .nonStringMapKey(marker: 0x01, offset: 1))
        #expect(packStreamError([0xA1, 0xC0, 0x01]) == .nonStringMapKey(marker: 0xC0, offset: 1))
        #expect(
            packStreamError([0xA2, 0x81, 0x61, 0x01, 0x91, 0x01, 0x01]) == .nonStringMapKey(marker: 0x91, offset: 4)
        )
        #expect(packStreamError([0xA1, 0x81, 0xFF, 0x01]) == .invalidUTF8(offset: 1))
    }

    @Test("nesting up to the limit decodes, beyond it is refused")
    func nesting() throws {
        let limit = PackStream.defaultMaximumNestingDepth
        func nestedLists(_ depth: Int) -> [UInt8] {
            Array(repeating: 0x91, count: depth) + [0x01]
        }
        var value: BoltValue = 1
        for _ in 0..<limit { value = [value] }
        #expect(try decodePackStream(nestedLists(limit)) == value)
        #expect(packStreamError(nestedLists(limit + 1)) == .nestingTooDeep(limit: limit))
        #expect(packStreamError(Array(repeating: 0x91, count: 1_000_000)) == .nestingTooDeep(limit: limit))

        let maps = Array([[UInt8]](repeating: [0xA1, 0x81, 0x6B], count: limit + 1).joined()) + [0xC0]
        #expect(packStreamError(maps) == .nestingTooDeep(limit: limit))
        let structures = Array([[UInt8]](repeating: [0xB1, 0x58], count: limit + 1).joined()) + [0xC0]
        #expect(packStreamError(structures) == .nestingTooDeep(limit: limit))

        var buffer = ByteBuffer(bytes: nestedLists(3))
        #expect(throws: PackStreamError.nestingTooDeep(limit: 2)) {
            try buffer.readPackStreamValue(maximumNestingDepth: 2)
        }
        #expect(buffer.readerIndex == 0)
        #expect(try buffer.readPackStreamValue(maximumNestingDepth: 3) == [[[1]]])
    }

    @Test("random bytes never crash the decoder", arguments: [11, 12, 13] as [UInt64])
    func randomBytes(seed: UInt64) {
        var generator = SplitMixGenerator(seed: seed)
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...48, using: &generator)
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            Self.decodeAnything(bytes)
        }
    }

    @Test("mutated valid encodings never crash the decoder", arguments: [21, 22, 23] as [UInt64])
    func mutatedEncodings(seed: UInt64) {
        var generator = SplitMixGenerator(seed: seed)
        var random = RandomBoltValues(generator: SplitMixGenerator(seed: seed &+ 100))
        for _ in 0..<1_000 {
            var bytes = packStreamBytes(random.value(depth: 3))
            for _ in 0..<Int.random(in: 1...4, using: &generator) where !bytes.isEmpty {
                let position = Int.random(in: 0..<bytes.count, using: &generator)
                switch Int.random(in: 0...2, using: &generator) {
                case 0: bytes[position] = UInt8.random(in: 0...255, using: &generator)
                case 1: bytes[position] ^= 1 << UInt8.random(in: 0...7, using: &generator)
                default: bytes.removeSubrange(position...)
                }
            }
            Self.decodeAnything(bytes)
        }
    }

    /// Decodes what it can: success moves the reader index forward, failure leaves it in place.
    static func decodeAnything(_ bytes: [UInt8]) {
        var buffer = ByteBuffer(bytes: bytes)
        do {
            _ = try buffer.readPackStreamValue()
            #expect(buffer.readerIndex > 0)
        } catch {
            #expect(error is PackStreamError)
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test("errors read as one line")
    func descriptions() {
        let errors: [PackStreamError] = [
            .unexpectedEndOfInput, .unknownMarker(0xC4, offset: 3),
            .unexpectedMarker(0x91, expected: "a structure", offset: 0), .invalidUTF8(offset: 2),
            .lengthExceedsInput(declared: 10, available: 2), .nestingTooDeep(limit: 64),
            .nonStringMapKey(marker: 0x01, offset: 1), .invalidStructure(tag: 0x4E, reason: "bad"),
        ]
        for error in errors {
            #expect(!error.description.isEmpty && !error.description.contains("\n"))
        }
        #expect(
            PackStreamError.unknownMarker(0xC4, offset: 3).description == "PackStream: unknown marker 0xC4 at offset 3"
        )
        #expect(
            PackStreamError.invalidStructure(tag: 0x4E, reason: "bad").description
                == "PackStream: invalid structure 0x4E: bad"
        )
    }
}
