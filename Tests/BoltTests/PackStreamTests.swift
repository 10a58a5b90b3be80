import Bolt
import NIOCore
import Testing

@Suite("PackStream encoding and decoding")
struct PackStreamTests {
    // MARK: Exact bytes

    @Test(
        "integers take the smallest form",
        arguments: [
            (0, "00"), (1, "01"), (42, "2A"), (127, "7F"), (-1, "FF"), (-16, "F0"),
            (-17, "C8 EF"), (-128, "C8 80"), (128, "C9 00 80"), (-129, "C9 FF 7F"),
            (32767, "C9 7F FF"), (-32768, "C9 80 00"), (32768, "CA 00 00 80 00"), (-32769, "CA FF FF 7F FF"),
            (2_147_483_647, "CA 7F FF FF FF"), (-2_147_483_648, "CA 80 00 00 00"),
            (2_147_483_648, "CB 00 00 00 00 80 00 00 00"), (-2_147_483_649, "CB FF FF FF FF 7F FF FF FF"),
            (Int64.max, "CB 7F FF FF FF FF FF FF FF"), (Int64.min, "CB 80 00 00 00 00 00 00 00"),
        ] as [(Int64, String)]
    )
    func integerBytes(value: Int64, hex: String) throws {
        #expect(packStreamBytes(.integer(value)) == hexBytes(hex))
        #expect(try decodePackStream(hexBytes(hex)) == .integer(value))
    }

    @Test(
        "scalars have the specification's bytes",
        arguments: [
            (.null, "C0"), (.boolean(true), "C3"), (.boolean(false), "C2"),
            (.float(1.1), "C1 3F F1 99 99 99 99 99 9A"), (.float(-1.1), "C1 BF F1 99 99 99 99 99 9A"),
            (.float(0), "C1 00 00 00 00 00 00 00 00"), (.float(.infinity), "C1 7F F0 00 00 00 00 00 00"),
            (.string(""), "80"), (.string("a"), "81 61"),
            (.string("Größenmaßstäbe"), "D0 12 47 72 C3 B6 C3 9F 65 6E 6D 61 C3 9F 73 74 C3 A4 62 65"),
            (.bytes([]), "CC 00"), (.bytes([1, 2, 3]), "CC 03 01 02 03"),
            (.list([]), "90"), (.list([1, 2, 3]), "93 01 02 03"), (.map([:]), "A0"),
            (.map(["one": "eins"]), "A1 83 6F 6E 65 84 65 69 6E 73"),
            (.structure(BoltValue.Structure(tag: 0x3F, fields: [19000])), "B1 3F C9 4A 38"),
            (.structure(BoltValue.Structure(tag: 0x01, fields: [])), "B0 01"),
        ] as [(BoltValue, String)]
    )
    func scalarBytes(value: BoltValue, hex: String) throws {
        #expect(packStreamBytes(value) == hexBytes(hex))
        #expect(try decodePackStream(hexBytes(hex)) == value)
    }

    @Test("NaN round-trips with its bit pattern")
    func nan() throws {
        let bytes = packStreamBytes(.float(.nan))
        #expect(bytes.first == 0xC1 && bytes.count == 9)
        let decoded = try #require(try decodePackStream(bytes).doubleValue)
        #expect(decoded.isNaN)
        #expect(decoded.bitPattern == Double.nan.bitPattern)
    }

    @Test("16 one-byte characters make a STRING_8")
    func string16() throws {
        let string = String(repeating: "a", count: 16)
        #expect(packStreamBytes(.string(string)) == [0xD0, 0x10] + Array(repeating: 0x61, count: 16))
    }

    @Test("16 entries make a LIST_8 and a MAP_8")
    func sixteenEntries() throws {
        let list = BoltValue.list((1...16).map { .integer($0) })
        #expect(packStreamBytes(list) == [0xD4, 0x10] + (1...16).map { UInt8($0) })
        let map = BoltValue.map(Dictionary(uniqueKeysWithValues: (0..<16).map { ("k\($0)", BoltValue.null) }))
        let bytes = packStreamBytes(map)
        #expect(bytes.prefix(2) == [0xD8, 0x10])
        #expect(try decodePackStream(bytes) == map)
    }

    // MARK: Size boundaries

    /// The header a size gets with a tiny marker base (nil: no tiny form, as for bytes) and 8/16/32-bit markers.
    static func header(_ count: Int, tiny: UInt8?, markers: (UInt8, UInt8, UInt8)) -> [UInt8] {
        if let tiny, count < 16 { return [tiny | UInt8(count)] }
        if count <= 0xFF { return [markers.0, UInt8(count)] }
        if count <= 0xFFFF { return [markers.1, UInt8(count >> 8), UInt8(count & 0xFF)] }
        return [
            markers.2, UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF),
        ]
    }

    static let boundaryCounts = [0, 1, 15, 16, 255, 256, 65535, 65536]

    @Test("string sizes at every boundary", arguments: boundaryCounts)
    func stringBoundary(count: Int) throws {
        let string = String(repeating: "x", count: count)
        let bytes = packStreamBytes(.string(string))
        let header = Self.header(count, tiny: 0x80, markers: (0xD0, 0xD1, 0xD2))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(bytes.count == header.count + count)
        #expect(try decodePackStream(bytes) == .string(string))
    }

    @Test("multi-byte strings are sized in UTF-8 bytes, not characters")
    func utf8Size() throws {
        let string = String(repeating: "é", count: 8)  // 16 bytes
        #expect(packStreamBytes(.string(string)).prefix(2) == [0xD0, 16])
        let emoji = String(repeating: "😀", count: 64)  // 256 bytes
        #expect(packStreamBytes(.string(emoji)).prefix(3) == [0xD1, 0x01, 0x00])
        #expect(try decodePackStream(packStreamBytes(.string(emoji))) == .string(emoji))
    }

    @Test("byte array sizes at every boundary", arguments: boundaryCounts)
    func bytesBoundary(count: Int) throws {
        let value = (0..<count).map { UInt8(truncatingIfNeeded: $0) }
        let bytes = packStreamBytes(.bytes(value))
        let header = Self.header(count, tiny: nil, markers: (0xCC, 0xCD, 0xCE))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(try decodePackStream(bytes) == .bytes(value))
    }

    @Test("list sizes at every boundary", arguments: boundaryCounts)
    func listBoundary(count: Int) throws {
        let value = BoltValue.list((0..<count).map { .integer(Int64($0 % 100)) })
        let bytes = packStreamBytes(value)
        let header = Self.header(count, tiny: 0x90, markers: (0xD4, 0xD5, 0xD6))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(try decodePackStream(bytes) == value)
    }

    @Test("map sizes at every boundary", arguments: boundaryCounts)
    func mapBoundary(count: Int) throws {
        let value = BoltValue.map(Dictionary(uniqueKeysWithValues: (0..<count).map { ("\($0)", BoltValue.integer(1)) }))
        let bytes = packStreamBytes(value)
        let header = Self.header(count, tiny: 0xA0, markers: (0xD8, 0xD9, 0xDA))
        #expect(Array(bytes.prefix(header.count)) == header)
        #expect(try decodePackStream(bytes) == value)
    }

    @Test("structure headers carry 0 to 15 fields")
    func structureFieldCounts() throws {
        for count in 0...15 {
            let value = BoltValue.structure(
                BoltValue.Structure(tag: 0x3F, fields: Array(repeating: .null, count: count))
            )
            let bytes = packStreamBytes(value)
            #expect(bytes.prefix(2) == [0xB0 | UInt8(count), 0x3F])
            #expect(try decodePackStream(bytes) == value)
        }
    }

    // MARK: Non-minimal input

    @Test(
        "every width is accepted when decoding, also non-minimal ones",
        arguments: [
            ("C8 01", .integer(1)), ("C9 00 01", .integer(1)), ("CA 00 00 00 01", .integer(1)),
            ("CB 00 00 00 00 00 00 00 01", .integer(1)), ("C9 FF FF", .integer(-1)),
            ("CB FF FF FF FF FF FF FF F0", .integer(-16)),
            ("D0 01 61", .string("a")), ("D1 00 01 61", .string("a")), ("D2 00 00 00 01 61", .string("a")),
            ("D0 00", .string("")), ("CD 00 01 07", .bytes([7])), ("CE 00 00 00 01 07", .bytes([7])),
            ("D4 00", .list([])), ("D5 00 01 01", .list([1])), ("D6 00 00 00 01 01", .list([1])),
            ("D8 00", .map([:])), ("D9 00 01 81 61 01", .map(["a": 1])),
            ("DA 00 00 00 01 D0 01 61 C8 01", .map(["a": 1])),
            ("A2 81 61 01 81 61 02", .map(["a": 2])),  // a repeated key: the last value wins
        ] as [(String, BoltValue)]
    )
    func nonMinimal(hex: String, value: BoltValue) throws {
        #expect(try decodePackStream(hexBytes(hex)) == value)
    }

    // MARK: Reading from a stream

    @Test("values are read one after another and the reader index moves past each")
    func sequentialReads() throws {
        var buffer = ByteBuffer()
        buffer.writePackStream(1)
        buffer.writePackStream("two")
        buffer.writePackStream([3, [4]])
        buffer.writeInteger(UInt8(0xC0))
        #expect(try buffer.readPackStreamValue() == 1)
        #expect(try buffer.readPackStreamValue() == "two")
        #expect(try buffer.readPackStreamValue() == [3, [4]])
        #expect(try buffer.readPackStreamValue() == .null)
        #expect(buffer.readableBytes == 0)
        #expect(throws: PackStreamError.unexpectedEndOfInput) { try buffer.readPackStreamValue() }
    }

    @Test("structure headers for messages")
    func structureHeader() throws {
        var buffer = ByteBuffer()
        buffer.writePackStreamStructureHeader(tag: 0x10, fieldCount: 3)
        buffer.writePackStream(string: "RETURN 1")
        buffer.writePackStream(map: ["n": 1])
        buffer.writePackStream(map: [:])
        #expect(buffer.readableBytesView.prefix(2) == [0xB3, 0x10])
        let header = try buffer.readPackStreamStructureHeader()
        #expect(header.tag == 0x10 && header.fieldCount == 3)
        #expect(try buffer.readPackStreamValue() == "RETURN 1")
        #expect(try buffer.readPackStreamValue() == ["n": 1])
        #expect(try buffer.readPackStreamValue() == [:])

        for (bytes, expected) in [
            ([UInt8](), PackStreamError.unexpectedEndOfInput),
            ([0xB1], .unexpectedEndOfInput),
            ([0x91, 0x01], .unexpectedMarker(0x91, expected: "a structure", offset: 0)),
        ] {
            var buffer = ByteBuffer(bytes: bytes)
            #expect(throws: expected) { try buffer.readPackStreamStructureHeader() }
            #expect(buffer.readerIndex == 0)
        }
    }

    @Test("helpers write the same bytes as values")
    func writeHelpers() {
        var helpers = ByteBuffer()
        helpers.writePackStream(integers: [1, 300, -20])
        helpers.writePackStream(list: ["a", 1.5])
        helpers.writePackStream(bytes: [9])
        helpers.writePackStream(float: 2.5)
        helpers.writePackStreamListHeader(count: 20)
        helpers.writePackStreamMapHeader(count: 300)
        var values = ByteBuffer()
        values.writePackStream([1, 300, -20])
        values.writePackStream(["a", 1.5])
        values.writePackStream(.bytes([9]))
        values.writePackStream(2.5)
        values.writeBytes([0xD4, 20, 0xD9, 0x01, 0x2C])
        #expect(helpers == values)
    }

    // MARK: Round trips

    @Test("every kind of value round-trips")
    func everyKind() throws {
        let alice = BoltValue.Node(id: 1, labels: ["Person"], properties: ["name": "Alice"], elementID: "4:db:1")
        let bob = BoltValue.Node(id: 2, labels: [], properties: [:], elementID: "4:db:2")
        let knows = BoltValue.UnboundRelationship(
            id: 7,
            type: "KNOWS",
            properties: ["since": 2020],
            elementID: "5:db:7"
        )
        let values: [BoltValue] = [
            .null, true, false, 0, -16, -17, 127, 128, .integer(.min), .integer(.max), 0.0, -0.0, 1.5,
            .float(.infinity), .float(-.infinity), .float(.greatestFiniteMagnitude), "", "x", "日本語 😀",
            .bytes([]), .bytes([0, 255]), [], [1, "a", nil, [2.5]], [:], ["a": ["b": ["c": [1, 2]]]],
            .node(alice),
            .relationship(
                BoltValue.Relationship(
                    id: 7,
                    startNodeID: 1,
                    endNodeID: 2,
                    type: "KNOWS",
                    properties: [:],
                    elementID: "5:db:7",
                    startNodeElementID: "4:db:1",
                    endNodeElementID: "4:db:2"
                )
            ),
            .unboundRelationship(knows),
            .path(BoltValue.Path(nodes: [alice, bob], relationships: [knows], indices: [1, 1])),
            .date(try BoltDate(year: 2022, month: 1, day: 8)),
            .localTime(try BoltLocalTime(hour: 23, minute: 59, second: 59)),
            .time(try BoltTime(nanosecondsSinceMidnight: 1, offsetSeconds: -3600)),
            .dateTime(try BoltDateTime(secondsSinceEpoch: -1, nanoseconds: 5, zone: .identifier("Europe/Paris"))),
            .dateTime(try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .offset(seconds: 3600))),
            .localDateTime(try BoltLocalDateTime(secondsSinceEpoch: 1_700_000_000, nanoseconds: 999_999_999)),
            .duration(try BoltDuration(months: -14, days: 3, seconds: 7, nanoseconds: 8)),
            .point(BoltPoint(srid: BoltPoint.cartesian, x: 1.5, y: 2.5)),
            .point(BoltPoint(srid: BoltPoint.wgs84With3D, x: 12.5, y: 56.25, z: -3)),
            .structure(BoltValue.Structure(tag: 0x3F, fields: [19000])),
            [
                .structure(
                    BoltValue.Structure(tag: 0x00, fields: [[.structure(BoltValue.Structure(tag: 0xFF, fields: []))]])
                )
            ],
        ]
        for value in values {
            #expect(try decodePackStream(packStreamBytes(value)) == value, "\(value)")
        }
    }

    @Test("random nested values round-trip", arguments: [1, 2, 3, 4] as [UInt64])
    func randomRoundTrip(seed: UInt64) throws {
        var random = RandomBoltValues(generator: SplitMixGenerator(seed: seed))
        for _ in 0..<200 {
            let value = random.value(depth: 4)
            let bytes = packStreamBytes(value)
            let decoded = try decodePackStream(bytes)
            #expect(decoded == value)
            if decoded != value { return }
        }
    }

    @Test("lists with long runs of integers encode as entry by entry")
    func integerRuns() throws {
        var elements = [BoltValue]()
        var random = RandomBoltValues(generator: SplitMixGenerator(seed: 99))
        for index in 0..<5000 {
            elements.append(index == 1500 || index == 2048 || index == 4999 ? "x" : .integer(random.integer()))
        }
        for list in [
            elements, Array(elements.prefix(1024)), Array(elements.prefix(1025)), Array(elements[1501..<2048]),
        ] {
            var expected = ByteBuffer()
            expected.writePackStreamListHeader(count: list.count)
            for element in list {
                switch element {
                case .integer(let integer): Self.writeIntegerByHand(integer, to: &expected)
                default: expected.writePackStream(element)
                }
            }
            var actual = ByteBuffer()
            actual.writePackStream(list: list)
            #expect(actual == expected)
            #expect(try decodePackStream(Array(actual.readableBytesView)) == .list(list))
            let integers = list.compactMap(\.intValue)
            var viaIntegers = ByteBuffer()
            viaIntegers.writePackStream(integers: integers)
            #expect(
                viaIntegers
                    == {
                        var b = ByteBuffer()
                        b.writePackStream(.list(integers.map { .integer($0) }))
                        return b
                    }()
            )
        }
    }

    /// The smallest integer form, written the slow and obvious way.
    static func writeIntegerByHand(_ value: Int64, to buffer: inout ByteBuffer) {
        if (-16...127).contains(value) {
            buffer.writeInteger(UInt8(truncatingIfNeeded: value))
        } else if let small = Int8(exactly: value) {
            buffer.writeInteger(UInt8(0xC8))
            buffer.writeInteger(small)
        } else if let small = Int16(exactly: value) {
            buffer.writeInteger(UInt8(0xC9))
            buffer.writeInteger(small, endianness: .big)
        } else if let small = Int32(exactly: value) {
            buffer.writeInteger(UInt8(0xCA))
            buffer.writeInteger(small, endianness: .big)
        } else {
            buffer.writeInteger(UInt8(0xCB))
            buffer.writeInteger(value, endianness: .big)
        }
    }

    @Test("a large id list round-trips")
    func largeList() throws {
        let ids = (0..<10_000).map { Int64($0) * 7919 - 5_000_000 }
        var buffer = ByteBuffer()
        buffer.writePackStream(integers: ids)
        let decoded = try buffer.readPackStreamValue()
        #expect(decoded == .list(ids.map { .integer($0) }))
    }
}
