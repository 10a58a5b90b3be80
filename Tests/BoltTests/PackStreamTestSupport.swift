import Bolt
import NIOCore
import Testing

/// The PackStream bytes of `value` as the encoder writes them.
func packStreamBytes(_ value: BoltValue) -> [UInt8] {
    var buffer = ByteBuffer()
    buffer.writePackStream(value)
    return Array(buffer.readableBytesView)
}

/// Decodes exactly one value from `bytes`, expecting nothing left over.
func decodePackStream(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> BoltValue {
    var buffer = ByteBuffer(bytes: bytes)
    let value = try buffer.readPackStreamValue()
    #expect(buffer.readableBytes == 0, "bytes left after the value", sourceLocation: sourceLocation)
    return value
}

/// Decodes `bytes`, expecting a `PackStreamError`, and checks that the reader index did not move (also when
/// the buffer's reader index does not start at 0).
func packStreamError(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> PackStreamError? {
    var buffer = ByteBuffer(bytes: [0xEE, 0xEE] + bytes)
    buffer.moveReaderIndex(forwardBy: 2)
    let before = buffer.readerIndex
    do {
        let value = try buffer.readPackStreamValue()
        Issue.record("decoded \(value) from malformed input", sourceLocation: sourceLocation)
        return nil
    } catch let error as PackStreamError {
        #expect(buffer.readerIndex == before, "reader index moved on error", sourceLocation: sourceLocation)
        return error
    } catch {
        Issue.record("unexpected error type \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

/// Hex text (`"C9 00 80"`) to bytes.
func hexBytes(_ text: String) -> [UInt8] {
    text.split(separator: " ").map { UInt8($0, radix: 16)! }
}

/// A tiny (under 16 bytes) PackStream string, written by hand so the tests don't depend on the encoder.
func tinyString(_ string: String) -> [UInt8] {
    let utf8 = Array(string.utf8)
    precondition(utf8.count < 16)
    return [0x80 | UInt8(utf8.count)] + utf8
}

/// A small deterministic generator (SplitMix64), so random tests fail the same way every run.
struct SplitMixGenerator: RandomNumberGenerator {
    var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random values of every kind, nested up to `depth`; floats are never NaN (NaN is not equal to itself).
struct RandomBoltValues {
    var generator: SplitMixGenerator

    mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self.generator) }

    mutating func integer() -> Int64 {
        switch self.int(0...6) {
        case 0: return Int64.random(in: -16...127, using: &self.generator)
        case 1: return Int64.random(in: -128...(-17), using: &self.generator)
        case 2: return Int64.random(in: Int64(Int16.min)...Int64(Int16.max), using: &self.generator)
        case 3: return Int64.random(in: Int64(Int32.min)...Int64(Int32.max), using: &self.generator)
        case 4: return [Int64.min, Int64.max, 0, -1, 128, -129, 32768, -32769][self.int(0...7)]
        default: return Int64.random(in: Int64.min...Int64.max, using: &self.generator)
        }
    }

    mutating func float() -> Double {
        switch self.int(0...4) {
        case 0:
            return [0.0, -0.0, 1.1, -1.5, .infinity, -.infinity, .leastNonzeroMagnitude, .greatestFiniteMagnitude][
                self.int(0...7)
            ]
        case 1: return Double(self.integer())
        default:
            let double = Double(bitPattern: self.generator.next())
            return double.isNaN ? 0.5 : double
        }
    }

    mutating func string() -> String {
        let length = [0, 1, 5, 15, 16, 40, 300][self.int(0...6)]
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            let scalar: Unicode.Scalar?
            switch self.int(0...5) {
            case 0: scalar = Unicode.Scalar(UInt32(self.int(0x00...0x7F)))
            case 1: scalar = Unicode.Scalar(UInt32(self.int(0x80...0x7FF)))
            case 2: scalar = Unicode.Scalar(UInt32(self.int(0x800...0xD7FF)))
            case 3: scalar = Unicode.Scalar(UInt32(self.int(0x1_0000...0x10_FFFF)))
            default: scalar = Unicode.Scalar(UInt32(self.int(0x61...0x7A)))
            }
            if let scalar { scalars.append(scalar) }
        }
        return String(scalars)
    }

    /// How many entries a list or structure gets: up to 40 just above the leaves, a few higher up, so that
    /// the size of a value stays small.
    mutating func count(depth: Int) -> Int {
        depth <= 1 ? [0, 2, 15, 16, 40][self.int(0...4)] : self.int(0...3)
    }

    mutating func properties(depth: Int) -> [String: BoltValue] {
        var map = [String: BoltValue]()
        for _ in 0..<self.int(0...3) {
            map[self.string()] = self.value(depth: depth - 1)
        }
        return map
    }

    mutating func node(depth: Int) -> BoltValue.Node {
        let id = self.integer()
        return BoltValue.Node(
            id: id,
            labels: (0..<self.int(0...3)).map { _ in self.string() },
            properties: self.properties(depth: depth),
            elementID: self.int(0...1) == 0 ? String(id) : "4:\(self.string()):\(id)"
        )
    }

    mutating func unbound(depth: Int) -> BoltValue.UnboundRelationship {
        BoltValue.UnboundRelationship(
            id: self.integer(),
            type: self.string(),
            properties: self.properties(depth: depth),
            elementID: self.string()
        )
    }

    /// A temporal or spatial value, often at the edges of its range.
    mutating func temporal() -> BoltValue {
        func pick(_ range: ClosedRange<Int64>) -> Int64 {
            [range.lowerBound, range.upperBound, 0, Int64.random(in: range, using: &self.generator)][self.int(0...3)]
        }
        let days: ClosedRange<Int64> = -365_243_219_162...365_241_780_471
        let seconds = days.lowerBound * 86_400...(days.upperBound * 86_400 + 86_399)
        let nanosecondsOfDay: ClosedRange<Int64> = 0...86_399_999_999_999
        let nanoseconds: ClosedRange<Int64> = 0...999_999_999
        let offsets: ClosedRange<Int64> = -64_800...64_800
        let zones = ["Europe/Berlin", "UTC", "America/St_Johns", "Asia/Kathmandu", "Not/AZone", ""]
        switch self.int(0...7) {
        case 0: return .date(try! BoltDate(daysSinceEpoch: pick(days)))
        case 1:
            return .time(
                try! BoltTime(nanosecondsSinceMidnight: pick(nanosecondsOfDay), offsetSeconds: Int(pick(offsets)))
            )
        case 2: return .localTime(try! BoltLocalTime(nanosecondsSinceMidnight: pick(nanosecondsOfDay)))
        case 3:
            let zone: BoltDateTime.Zone =
                self.int(0...1) == 0 ? .offset(seconds: Int(pick(offsets))) : .identifier(zones[self.int(0...5)])
            return .dateTime(
                try! BoltDateTime(secondsSinceEpoch: pick(seconds), nanoseconds: pick(nanoseconds), zone: zone)
            )
        case 4:
            return .localDateTime(
                try! BoltLocalDateTime(secondsSinceEpoch: pick(seconds), nanoseconds: pick(nanoseconds))
            )
        case 5:
            return .duration(
                try! BoltDuration(
                    months: self.integer(),
                    days: self.integer(),
                    seconds: pick(-(1 << 62)...(1 << 62)),
                    nanoseconds: self.integer()
                )
            )
        default:
            return .point(
                BoltPoint(
                    srid: self.integer(),
                    x: self.float(),
                    y: self.float(),
                    z: self.int(0...1) == 0 ? nil : self.float()
                )
            )
        }
    }

    mutating func value(depth: Int) -> BoltValue {
        let kinds = depth > 0 ? 15 : 7
        switch self.int(0...kinds) {
        case 0: return .null
        case 1: return .boolean(self.int(0...1) == 1)
        case 2, 3: return .integer(self.integer())
        case 4: return .float(self.float())
        case 5: return .string(self.string())
        case 6: return .bytes((0..<[0, 3, 16, 300][self.int(0...3)]).map { _ in UInt8(self.int(0...255)) })
        case 7: return self.temporal()
        case 8, 9: return .list((0..<self.count(depth: depth)).map { _ in self.value(depth: depth - 1) })
        case 10: return .map(self.properties(depth: depth))
        case 11: return .node(self.node(depth: depth))
        case 12:
            return .relationship(
                BoltValue.Relationship(
                    id: self.integer(),
                    startNodeID: self.integer(),
                    endNodeID: self.integer(),
                    type: self.string(),
                    properties: self.properties(depth: depth),
                    elementID: self.string(),
                    startNodeElementID: self.string(),
                    endNodeElementID: self.string()
                )
            )
        case 13: return .unboundRelationship(self.unbound(depth: depth))
        case 14:
            let nodes = (0..<self.int(1...3)).map { _ in self.node(depth: depth) }
            let relationships = (0..<self.int(0...2)).map { _ in self.unbound(depth: depth) }
            var indices = [Int64]()
            if !relationships.isEmpty {
                for _ in 0..<self.int(0...3) {
                    let relationship = Int64(self.int(1...relationships.count))
                    indices.append(self.int(0...1) == 0 ? relationship : -relationship)
                    indices.append(Int64(self.int(0...(nodes.count - 1))))
                }
            }
            return .path(BoltValue.Path(nodes: nodes, relationships: relationships, indices: indices))
        default:
            // Tags the decoder turns into dedicated cases are left to them.
            let modelled: Set<UInt8> = [
                0x4E, 0x52, 0x72, 0x50, 0x44, 0x54, 0x74, 0x49, 0x69, 0x64, 0x45, 0x58, 0x59, 0x46, 0x66,
            ]
            var tag = UInt8(self.int(0...255))
            while modelled.contains(tag) { tag = UInt8(self.int(0...255)) }
            return .structure(
                BoltValue.Structure(
                    tag: tag,
                    fields: (0..<min(15, self.count(depth: depth))).map { _ in self.value(depth: depth - 1) }
                )
            )
        }
    }
}
