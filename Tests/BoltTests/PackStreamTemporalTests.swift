import Bolt
import NIOCore
import Testing

/// Temporal and spatial structures on the wire: the Bolt specification's examples, bytes the official
/// Python driver (6.4.1, Bolt 5 hydration) writes for the same values, legacy Bolt 4 date-times, and shapes
/// and ranges a hostile server could send.
@Suite("PackStream temporal and spatial structures")
struct PackStreamTemporalTests {
    static let paris = BoltDateTime.Zone.identifier("Europe/Paris")

    /// `value` must encode to exactly `hex`, and `hex` decode to `value`.
    func expectWire(_ value: BoltValue, _ hex: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        #expect(packStreamBytes(value) == hexBytes(hex), sourceLocation: sourceLocation)
        #expect(try decodePackStream(hexBytes(hex)) == value, sourceLocation: sourceLocation)
    }

    @Test("the specification's examples")
    func specificationExamples() throws {
        // Date: 0 is 1970-01-01, 1 is 1970-01-02.
        try expectWire(.date(try BoltDate(year: 1970, month: 1, day: 1)), "B1 44 00")
        try expectWire(.date(try BoltDate(year: 1970, month: 1, day: 2)), "B1 44 01")
        // 1970-01-01T02:15:00.000000042+01:00 is 4500 s after the epoch in UTC, 42 ns, offset 3600.
        let withOffset = try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .offset(seconds: 3600))
        try expectWire(.dateTime(withOffset), "B3 49 C9 11 94 2A C9 0E 10")
        #expect(withOffset.description == "1970-01-01T02:15:00.000000042+01:00")
        // The same instant with the zone id Europe/Paris.
        let withZone = try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: Self.paris)
        try expectWire(.dateTime(withZone), "B3 69 C9 11 94 2A 8C" + hex("Europe/Paris"))
        #expect(withZone.description == "1970-01-01T02:15:00.000000042+01:00[Europe/Paris]")
    }

    @Test("Bolt 4's legacy date-times carry wall-clock seconds and decode to the same instants")
    func legacyDateTimes() throws {
        // The specification's legacy examples: 8100 = 4500 + the offset of 3600.
        let withOffset = try decodePackStream(hexBytes("B3 46 C9 1F A4 2A C9 0E 10"))
        #expect(
            withOffset
                == .dateTime(try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: .offset(seconds: 3600)))
        )
        let withZone = try decodePackStream(hexBytes("B3 66 C9 1F A4 2A 8C" + hex("Europe/Paris")))
        #expect(withZone == .dateTime(try BoltDateTime(secondsSinceEpoch: 4500, nanoseconds: 42, zone: Self.paris)))
        // Written again, they take the Bolt 5 form.
        #expect(packStreamBytes(withOffset) == hexBytes("B3 49 C9 11 94 2A C9 0E 10"))
        // Python driver (Bolt 4 hydration): 2024-05-01T12:34:56[Europe/Berlin], summer time, +02:00.
        let berlin = try decodePackStream(hexBytes("B3 66 CA 66 32 36 F0 00 8D" + hex("Europe/Berlin")))
        #expect(berlin.dateTimeValue?.secondsSinceEpoch == 1_714_559_696)
        #expect(berlin.description == "2024-05-01T12:34:56+02:00[Europe/Berlin]")
    }

    @Test(
        "bytes the Python driver writes for the same values",
        arguments: [
            ("B1 44 C9 4D 84", "2024-05-01"), ("B1 44 FF", "1969-12-31"), ("B1 44 CA FF F5 06 C6", "0001-01-01"),
            ("B1 44 C9 2B 08", "2000-02-29"), ("B1 74 CB 00 00 29 32 4B FD 63 15", "12:34:56.000000789"),
            ("B2 54 CB 00 00 29 32 4B FD 63 15 C9 1C 20", "12:34:56.000000789+02:00"),
            ("B2 64 CA 66 32 36 F0 C9 03 15", "2024-05-01T12:34:56.000000789"),
            ("B3 49 CA 66 32 1A D0 C9 03 15 C9 1C 20", "2024-05-01T12:34:56.000000789+02:00"),
            ("B3 69 CA 66 32 1A D0 00 8D" + hex("Europe/Berlin"), "2024-05-01T12:34:56+02:00[Europe/Berlin]"),
            ("B3 69 FF CA 1D CD 65 00 83 55 54 43", "1969-12-31T23:59:59.5Z[UTC]"),
            ("B4 45 0E 03 C9 39 72 CA 29 B9 27 00", "P1Y2M3DT4H5M6.7S"),
            (
                "B3 58 C9 1C 23 C1 3F F0 00 00 00 00 00 00 C1 40 00 00 00 00 00 00 00",
                "point({srid:7203, x:1.0, y:2.0})"
            ),
            (
                "B4 59 C9 13 73 C1 40 29 00 00 00 00 00 00 C1 40 4C 20 00 00 00 00 00 C1 40 59 00 00 00 00 00 00",
                "point({srid:4979, x:12.5, y:56.25, z:100.0})"
            ),
        ] as [(String, String)]
    )
    func pythonDriverBytes(hex: String, text: String) throws {
        let value = try decodePackStream(hexBytes(hex))
        #expect(value.description == text)
        #expect(packStreamBytes(value) == hexBytes(hex), "the encoder writes the driver's bytes")
    }

    @Test("a duration of -1 ns as the Python driver writes it (0 s, -1 ns) is normalized to -1 s + 999,999,999 ns")
    func unnormalizedDuration() throws {
        let value = try decodePackStream(hexBytes("B4 45 00 00 00 FF"))
        let duration = try #require(value.durationValue)
        #expect(duration.seconds == -1 && duration.nanoseconds == 999_999_999)
        #expect(duration.description == "PT-0.000000001S")
        #expect(packStreamBytes(value) == hexBytes("B4 45 00 00 FF CA 3B 9A C9 FF"))
    }

    @Test("each type round-trips at the ends of its range")
    func extremes() throws {
        let values: [BoltValue] = [
            .date(try BoltDate(year: -999_999_999, month: 1, day: 1)),
            .date(try BoltDate(year: 999_999_999, month: 12, day: 31)),
            .localTime(try BoltLocalTime(hour: 23, minute: 59, second: 59, nanosecond: 999_999_999)),
            .time(try BoltTime(nanosecondsSinceMidnight: 0, offsetSeconds: -64_800)),
            .time(try BoltTime(nanosecondsSinceMidnight: 0, offsetSeconds: 64_800)),
            .localDateTime(try BoltLocalDateTime(secondsSinceEpoch: -31_557_014_135_596_800, nanoseconds: 0)),
            .localDateTime(try BoltLocalDateTime(secondsSinceEpoch: 31_556_889_832_780_799, nanoseconds: 999_999_999)),
            .dateTime(
                try BoltDateTime(
                    secondsSinceEpoch: 31_556_889_832_780_799,
                    nanoseconds: 0,
                    zone: .offset(seconds: 64_800)
                )
            ),
            .dateTime(
                try BoltDateTime(secondsSinceEpoch: -31_557_014_135_596_800, nanoseconds: 0, zone: .identifier("UTC"))
            ),
            .duration(try BoltDuration(months: .min, days: .max, seconds: .min, nanoseconds: 0)),
            .duration(try BoltDuration(months: .max, days: .min, seconds: .max, nanoseconds: 999_999_999)),
            .point(BoltPoint(srid: .min, x: -.infinity, y: .greatestFiniteMagnitude)),
            .point(BoltPoint(srid: .max, x: 0, y: -0.0, z: .leastNonzeroMagnitude)),
        ]
        for value in values {
            #expect(try decodePackStream(packStreamBytes(value)) == value, "\(value)")
            // Rendering never traps, however far out the value is.
            #expect(!value.description.isEmpty && !value.jsonText.isEmpty)
        }
    }

    @Test("BoltValue stays 24 bytes: the larger temporal and spatial cases are boxed")
    func valueSize() {
        #expect(MemoryLayout<BoltValue>.size <= 24)
        #expect(MemoryLayout<BoltValue>.stride == 24)
    }

    @Test(
        "structures of the wrong shape are refused with the field named",
        arguments: [
            // Field counts.
            ("B0 44", "a date has 1 field, not 0"), ("B2 44 01 02", "a date has 1 field, not 2"),
            ("B1 54 01", "a time has 2 fields, not 1"), ("B2 74 01 02", "a local time has 1 field, not 2"),
            ("B2 49 01 02", "a date-time has 3 fields, not 2"),
            ("B4 69 01 02 80 80", "a date-time has 3 fields, not 4"),
            ("B1 64 01", "a local date-time has 2 fields, not 1"), ("B3 45 01 02 03", "a duration has 4 fields, not 3"),
            ("B4 58 01 C1 00 00 00 00 00 00 00 00 C1 00 00 00 00 00 00 00 00 C0", "a 2D point has 3 fields, not 4"),
            ("B3 59 01 C1 00 00 00 00 00 00 00 00 C1 00 00 00 00 00 00 00 00", "a 3D point has 4 fields, not 3"),
            // Field kinds.
            ("B1 44 80", "days is a string, not an integer"),
            ("B1 44 C1 00 00 00 00 00 00 00 00", "days is a float, not an integer"),
            ("B2 54 01 C0", "tz_offset_seconds is null, not an integer"),
            ("B3 49 01 02 80", "tz_offset_seconds is a string, not an integer"),
            ("B3 69 01 02 01", "tz_id is an integer, not a string"),
            ("B3 66 01 02 01", "tz_id is an integer, not a string"),
            ("B3 46 01 02 81 5A", "tz_offset_seconds is a string, not an integer"),
            ("B3 49 B1 44 00 02 03", "seconds is a date, not an integer"),
            ("B4 45 01 02 03 C3", "nanoseconds is a boolean, not an integer"),
            ("B3 58 01 02 03", "x is an integer, not a float"),
            ("B4 59 01 C1 00 00 00 00 00 00 00 00 C1 00 00 00 00 00 00 00 00 C0", "z is null, not a float"),
            ("B3 58 80 C1 00 00 00 00 00 00 00 00 C1 00 00 00 00 00 00 00 00", "srid is a string, not an integer"),
        ] as [(String, String)]
    )
    func wrongShapes(hex: String, reason: String) {
        let bytes = hexBytes(hex)
        #expect(packStreamError(bytes) == .invalidStructure(tag: bytes[1], reason: reason))
    }

    @Test(
        "values beyond Neo4j's ranges are refused, never trapped on",
        arguments: [
            // Date: days beyond year 999,999,999 (and Int64's own ends).
            ("B1 44 CB 7F FF FF FF FF FF FF FF", "days since epoch 9223372036854775807"),
            ("B1 44 CB 80 00 00 00 00 00 00 00", "days since epoch -9223372036854775808"),
            ("B1 44" + int64(365_241_780_472), "days since epoch 365241780472"),
            ("B1 44" + int64(-365_243_219_163), "days since epoch -365243219163"),
            // Times: a day or more of nanoseconds, negative nanoseconds, offsets beyond ±18 h.
            ("B1 74 CB 00 00 4E 94 91 4F 00 00", "nanoseconds since midnight 86400000000000"),
            ("B1 74 FF", "nanoseconds since midnight -1"),
            ("B2 54 00 CA 00 00 FD 21", "offset 64801"),
            ("B2 54 00 CB 80 00 00 00 00 00 00 00", "offset -9223372036854775808"),
            // Date-times: seconds near Int64's ends, nanoseconds outside a second, offsets.
            ("B3 49 CB 7F FF FF FF FF FF FF FF 00 00", "seconds since epoch 9223372036854775807"),
            ("B3 69 CB 80 00 00 00 00 00 00 00 00 83 55 54 43", "seconds since epoch -9223372036854775808"),
            ("B3 49 00 FF 00", "nanoseconds -1"), ("B3 49 00 CA 3B 9A CA 00 00", "nanoseconds 1000000000"),
            ("B3 49 00 00 CA 00 01 00 00", "offset 65536"),
            ("B2 64 CB 7F FF FF FF FF FF FF FF 00", "seconds since epoch 9223372036854775807"),
            ("B2 64" + int64(31_556_889_832_780_800) + " 00", "seconds since epoch 31556889832780800"),
            ("B2 64 00 CA 3B 9A CA 00", "nanoseconds 1000000000"),
            // Legacy: wall-clock seconds at Int64's ends are checked before the offset is taken away.
            ("B3 46 CB 80 00 00 00 00 00 00 00 00 C9 0E 10", "seconds since epoch -9223372036854775808"),
            ("B3 66 CB 7F FF FF FF FF FF FF FF 00 83 55 54 43", "seconds since epoch 9223372036854775807"),
            // Duration: nanoseconds that carry past Int64's seconds.
            ("B4 45 00 00 CB 7F FF FF FF FF FF FF FF CA 3B 9A CA 00", "seconds 9223372036854775807"),
            ("B4 45 00 00 CB 80 00 00 00 00 00 00 00 FF", "seconds -9223372036854775808"),
        ] as [(String, String)]
    )
    func outOfRange(hex: String, reasonStart: String) throws {
        let bytes = hexBytes(hex)
        let error = try #require(packStreamError(bytes))
        guard case .invalidStructure(let tag, let reason) = error else {
            Issue.record("expected invalidStructure, got \(error)")
            return
        }
        #expect(tag == bytes[1])
        #expect(reason.hasPrefix(reasonStart + " is outside"), "\(reason)")
    }

    @Test("a legacy date-time with a zone this machine does not know cannot be placed in time")
    func legacyUnknownZone() {
        #expect(
            packStreamError(hexBytes("B3 66 00 00 89" + hex("Mars/Base")))
                == .invalidStructure(
                    tag: 0x66,
                    reason: #"time zone "Mars/Base" is not in this machine's time zone database"#
                )
        )
        // A Bolt 5 date-time needs no lookup: the instant is given, the zone id kept as it came.
        let value = try? decodePackStream(hexBytes("B3 69 00 00 89" + hex("Mars/Base")))
        #expect(value?.description == "1970-01-01T00:00:00Z[Mars/Base]")
    }

    @Test("unmodelled structures still decode generically", arguments: [0x56, 0x3F, 0x7A, 0x00] as [UInt8])
    func unmodelled(tag: UInt8) throws {
        let bytes: [UInt8] = [0xB2, tag, 0xCC, 0x01, 0xC8, 0xCC, 0x02, 0x01, 0x02]
        #expect(
            try decodePackStream(bytes)
                == .structure(BoltValue.Structure(tag: tag, fields: [.bytes([0xC8]), .bytes([1, 2])]))
        )
    }

    @Test("temporal values nested in lists, maps and node properties")
    func nested() throws {
        let date = BoltValue.date(try BoltDate(year: 2024, month: 5, day: 1))
        let node = BoltValue.Node(
            id: 1,
            labels: ["Event"],
            properties: ["on": date, "at": .point(BoltPoint(srid: 7203, x: 1, y: 2))],
            elementID: "1"
        )
        let value: BoltValue = ["dates": [date, date], "node": .node(node)]
        #expect(try decodePackStream(packStreamBytes(value)) == value)
        #expect(
            value.description
                == "{dates: [2024-05-01, 2024-05-01], node: (:Event {at: point({srid:7203, x:1.0, y:2.0}), on: 2024-05-01})}"
        )
    }
}

/// The bytes of a string's UTF-8, as hex with a leading space to append to a header.
private func hex(_ string: String) -> String {
    string.utf8.map { " " + String($0, radix: 16, uppercase: true) }.joined()
}

/// An INT_64 as hex (`CB` and eight bytes), with a leading space.
private func int64(_ value: Int64) -> String {
    " CB"
        + (0..<8).reversed().map {
            " " + String(UInt8(truncatingIfNeeded: value >> ($0 * 8)), radix: 16, uppercase: true)
        }.joined()
}
