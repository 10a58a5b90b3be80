import NIOCore

/// PackStream (v2, as Bolt 5 uses it) constants shared by the encoder and the decoder.
public enum PackStream {
    /// How deep lists, maps and structures may nest in decoded input before the decoder refuses it
    /// (``PackStreamError/nestingTooDeep(limit:)``) instead of recursing further.
    public static let defaultMaximumNestingDepth = 64

    /// Structure tags of the Bolt 5 types that decode into dedicated ``BoltValue`` cases.
    public enum Tag {
        public static let node: UInt8 = 0x4E  // N
        public static let relationship: UInt8 = 0x52  // R
        public static let unboundRelationship: UInt8 = 0x72  // r
        public static let path: UInt8 = 0x50  // P
        public static let date: UInt8 = 0x44  // D
        public static let time: UInt8 = 0x54  // T
        public static let localTime: UInt8 = 0x74  // t
        public static let dateTime: UInt8 = 0x49  // I
        public static let dateTimeZoneID: UInt8 = 0x69  // i
        public static let localDateTime: UInt8 = 0x64  // d
        public static let duration: UInt8 = 0x45  // E
        public static let point2D: UInt8 = 0x58  // X
        public static let point3D: UInt8 = 0x59  // Y
        /// Bolt 4's date-time with an offset, whose seconds are wall-clock seconds (decoded, never written).
        public static let legacyDateTime: UInt8 = 0x46  // F
        /// Bolt 4's date-time with a zone id, whose seconds are wall-clock seconds (decoded, never written).
        public static let legacyDateTimeZoneID: UInt8 = 0x66  // f
    }
}

private enum Marker {
    static let null: UInt8 = 0xC0
    static let float64: UInt8 = 0xC1
    static let `false`: UInt8 = 0xC2
    static let `true`: UInt8 = 0xC3
    static let int8: UInt8 = 0xC8
    static let int16: UInt8 = 0xC9
    static let int32: UInt8 = 0xCA
    static let int64: UInt8 = 0xCB
    static let bytes8: UInt8 = 0xCC
    static let bytes16: UInt8 = 0xCD
    static let bytes32: UInt8 = 0xCE
    static let tinyString: UInt8 = 0x80
    static let string8: UInt8 = 0xD0
    static let string16: UInt8 = 0xD1
    static let string32: UInt8 = 0xD2
    static let tinyList: UInt8 = 0x90
    static let list8: UInt8 = 0xD4
    static let list16: UInt8 = 0xD5
    static let list32: UInt8 = 0xD6
    static let tinyMap: UInt8 = 0xA0
    static let map8: UInt8 = 0xD8
    static let map16: UInt8 = 0xD9
    static let map32: UInt8 = 0xDA
    static let tinyStructure: UInt8 = 0xB0
}

// MARK: - Encoding

extension ByteBuffer {
    /// Writes `value` in PackStream, always in the smallest form.
    ///
    /// Graph values are written in their Bolt 5 shape (with element ids), date-times in Bolt 5's UTC form
    /// (`I` or `i`; this client speaks only Bolt 5). A ``BoltValue/Structure`` with
    /// more than 15 fields cannot be represented and stops the program (a programming error, not an input
    /// error); so does a string, byte array, list or map with more than `UInt32.max` entries.
    public mutating func writePackStream(_ value: BoltValue) {
        switch value {
        case .null:
            self.writeInteger(Marker.null)
        case .boolean(let bool):
            self.writeInteger(bool ? Marker.true : Marker.false)
        case .integer(let integer):
            self.writePackStream(integer: integer)
        case .float(let double):
            self.writePackStream(float: double)
        case .string(let string):
            self.writePackStream(string: string)
        case .bytes(let bytes):
            self.writePackStream(bytes: bytes)
        case .list(let list):
            self.writePackStream(list: list)
        case .map(let map):
            self.writePackStream(map: map)
        case .date(let date):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.date, fieldCount: 1)
            self.writePackStream(integer: date.daysSinceEpoch)
        case .time(let time):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.time, fieldCount: 2)
            self.writePackStream(integer: time.localTime.nanosecondsSinceMidnight)
            self.writePackStream(integer: Int64(time.offsetSeconds))
        case .localTime(let time):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.localTime, fieldCount: 1)
            self.writePackStream(integer: time.nanosecondsSinceMidnight)
        case .dateTime(let dateTime):
            switch dateTime.zone {
            case .offset(let seconds):
                self.writePackStreamStructureHeader(tag: PackStream.Tag.dateTime, fieldCount: 3)
                self.writePackStream(integer: dateTime.secondsSinceEpoch)
                self.writePackStream(integer: Int64(dateTime.nanoseconds))
                self.writePackStream(integer: Int64(seconds))
            case .identifier(let identifier):
                self.writePackStreamStructureHeader(tag: PackStream.Tag.dateTimeZoneID, fieldCount: 3)
                self.writePackStream(integer: dateTime.secondsSinceEpoch)
                self.writePackStream(integer: Int64(dateTime.nanoseconds))
                self.writePackStream(string: identifier)
            }
        case .localDateTime(let dateTime):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.localDateTime, fieldCount: 2)
            self.writePackStream(integer: dateTime.secondsSinceEpoch)
            self.writePackStream(integer: Int64(dateTime.nanoseconds))
        case .duration(let duration):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.duration, fieldCount: 4)
            self.writePackStream(integer: duration.months)
            self.writePackStream(integer: duration.days)
            self.writePackStream(integer: duration.seconds)
            self.writePackStream(integer: Int64(duration.nanoseconds))
        case .point(let point):
            let z = point.z
            self.writePackStreamStructureHeader(
                tag: z == nil ? PackStream.Tag.point2D : PackStream.Tag.point3D,
                fieldCount: z == nil ? 3 : 4
            )
            self.writePackStream(integer: point.srid)
            self.writePackStream(float: point.x)
            self.writePackStream(float: point.y)
            if let z {
                self.writePackStream(float: z)
            }
        case .node(let node):
            self.writePackStream(node: node)
        case .relationship(let relationship):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.relationship, fieldCount: 8)
            self.writePackStream(integer: relationship.id)
            self.writePackStream(integer: relationship.startNodeID)
            self.writePackStream(integer: relationship.endNodeID)
            self.writePackStream(string: relationship.type)
            self.writePackStream(map: relationship.properties)
            self.writePackStream(string: relationship.elementID)
            self.writePackStream(string: relationship.startNodeElementID)
            self.writePackStream(string: relationship.endNodeElementID)
        case .unboundRelationship(let relationship):
            self.writePackStream(unboundRelationship: relationship)
        case .path(let path):
            self.writePackStreamStructureHeader(tag: PackStream.Tag.path, fieldCount: 3)
            self.writePackStreamListHeader(count: path.nodes.count)
            for node in path.nodes {
                self.writePackStream(node: node)
            }
            self.writePackStreamListHeader(count: path.relationships.count)
            for relationship in path.relationships {
                self.writePackStream(unboundRelationship: relationship)
            }
            self.writePackStreamListHeader(count: path.indices.count)
            for index in path.indices {
                self.writePackStream(integer: index)
            }
        case .structure(let structure):
            self.writePackStreamStructureHeader(tag: structure.tag, fieldCount: structure.fields.count)
            for field in structure.fields {
                self.writePackStream(field)
            }
        }
    }

    /// Writes an integer in the smallest of TINY_INT, INT_8, INT_16, INT_32 and INT_64.
    public mutating func writePackStream(integer value: Int64) {
        self.writeWithUnsafeMutableBytes(minimumWritableBytes: 9) { out in
            guard let base = out.baseAddress else { return 0 }
            return storePackStreamInteger(value, at: base)
        }
    }

    /// Writes a 64-bit float (0xC1, big-endian IEEE 754).
    public mutating func writePackStream(float value: Double) {
        self.writeMultipleIntegers(Marker.float64, value.bitPattern, endianness: .big)
    }

    /// Writes a string, sized by its UTF-8 byte count.
    public mutating func writePackStream(string: String) {
        var string = string
        string.withUTF8 { utf8 in
            self.writeSizeHeader(
                utf8.count,
                tiny: Marker.tinyString,
                size8: Marker.string8,
                size16: Marker.string16,
                size32: Marker.string32
            )
            self.writeBytes(utf8)
        }
    }

    /// Writes a byte array (0xCC, 0xCD or 0xCE: there is no tiny form).
    public mutating func writePackStream(bytes: [UInt8]) {
        let count = bytes.count
        if count <= Int(UInt8.max) {
            self.writeMultipleIntegers(Marker.bytes8, UInt8(truncatingIfNeeded: count))
        } else if count <= Int(UInt16.max) {
            self.writeMultipleIntegers(Marker.bytes16, UInt16(truncatingIfNeeded: count), endianness: .big)
        } else {
            precondition(UInt64(count) <= UInt64(UInt32.max), "PackStream byte arrays hold at most 2^32-1 bytes")
            self.writeMultipleIntegers(Marker.bytes32, UInt32(truncatingIfNeeded: count), endianness: .big)
        }
        self.writeBytes(bytes)
    }

    /// Writes a list header and its entries.
    public mutating func writePackStream(list: [BoltValue]) {
        self.writePackStreamListHeader(count: list.count)
        var index = 0
        let count = list.count
        while index < count {
            guard case .integer = list[index] else {
                self.writePackStream(list[index])
                index += 1
                continue
            }
            // A run of integers (an id list): stored straight into the buffer, up to 1,024 at a time.
            let chunkEnd = min(count, index + 1024)
            self.writeWithUnsafeMutableBytes(minimumWritableBytes: (chunkEnd - index) * 9) { out in
                guard let base = out.baseAddress else { return 0 }
                var written = 0
                while index < chunkEnd, case .integer(let value) = list[index] {
                    written += storePackStreamInteger(value, at: base + written)
                    index += 1
                }
                return written
            }
        }
    }

    /// Writes a list of integers without building ``BoltValue``s first (id lists of a batch).
    public mutating func writePackStream(integers: [Int64]) {
        self.writePackStreamListHeader(count: integers.count)
        var start = 0
        while start < integers.count {
            let end = min(integers.count, start + 1024)
            self.writeWithUnsafeMutableBytes(minimumWritableBytes: (end - start) * 9) { out in
                guard let base = out.baseAddress else { return 0 }
                var written = 0
                for index in start..<end {
                    written += storePackStreamInteger(integers[index], at: base + written)
                }
                return written
            }
            start = end
        }
    }

    /// Writes a map header and its entries (in the dictionary's order: PackStream maps are unordered).
    public mutating func writePackStream(map: [String: BoltValue]) {
        self.writePackStreamMapHeader(count: map.count)
        for (key, value) in map {
            self.writePackStream(string: key)
            self.writePackStream(value)
        }
    }

    /// Writes the header of a list of `count` entries; the caller writes the entries.
    public mutating func writePackStreamListHeader(count: Int) {
        self.writeSizeHeader(
            count,
            tiny: Marker.tinyList,
            size8: Marker.list8,
            size16: Marker.list16,
            size32: Marker.list32
        )
    }

    /// Writes the header of a map of `count` entries; the caller writes `count` key (string) and value pairs.
    public mutating func writePackStreamMapHeader(count: Int) {
        self.writeSizeHeader(
            count,
            tiny: Marker.tinyMap,
            size8: Marker.map8,
            size16: Marker.map16,
            size32: Marker.map32
        )
    }

    /// Writes a structure header (marker 0xB0 + `fieldCount`, then `tag`); the caller writes the fields.
    /// `fieldCount` must be in 0...15.
    public mutating func writePackStreamStructureHeader(tag: UInt8, fieldCount: Int) {
        precondition((0...15).contains(fieldCount), "a PackStream structure has 0 to 15 fields, not \(fieldCount)")
        self.writeMultipleIntegers(Marker.tinyStructure | UInt8(truncatingIfNeeded: fieldCount), tag)
    }

    private mutating func writeSizeHeader(_ count: Int, tiny: UInt8, size8: UInt8, size16: UInt8, size32: UInt8) {
        if count < 16 {
            self.writeInteger(tiny | UInt8(truncatingIfNeeded: count))
        } else if count <= Int(UInt8.max) {
            self.writeMultipleIntegers(size8, UInt8(truncatingIfNeeded: count))
        } else if count <= Int(UInt16.max) {
            self.writeMultipleIntegers(size16, UInt16(truncatingIfNeeded: count), endianness: .big)
        } else {
            precondition(UInt64(count) <= UInt64(UInt32.max), "PackStream sizes are at most 2^32-1")
            self.writeMultipleIntegers(size32, UInt32(truncatingIfNeeded: count), endianness: .big)
        }
    }

    private mutating func writePackStream(node: BoltValue.Node) {
        self.writePackStreamStructureHeader(tag: PackStream.Tag.node, fieldCount: 4)
        self.writePackStream(integer: node.id)
        self.writePackStreamListHeader(count: node.labels.count)
        for label in node.labels {
            self.writePackStream(string: label)
        }
        self.writePackStream(map: node.properties)
        self.writePackStream(string: node.elementID)
    }

    private mutating func writePackStream(unboundRelationship relationship: BoltValue.UnboundRelationship) {
        self.writePackStreamStructureHeader(tag: PackStream.Tag.unboundRelationship, fieldCount: 4)
        self.writePackStream(integer: relationship.id)
        self.writePackStream(string: relationship.type)
        self.writePackStream(map: relationship.properties)
        self.writePackStream(string: relationship.elementID)
    }
}

/// Stores `value` in its smallest PackStream form at `base` (which has room for 9 bytes); returns the bytes
/// stored.
@inline(__always)
private func storePackStreamInteger(_ value: Int64, at base: UnsafeMutableRawPointer) -> Int {
    if value >= -16 && value <= 127 {
        base.storeBytes(of: UInt8(truncatingIfNeeded: value), as: UInt8.self)
        return 1
    } else if value >= Int64(Int8.min) && value <= Int64(Int8.max) {
        base.storeBytes(of: Marker.int8, as: UInt8.self)
        base.storeBytes(of: Int8(truncatingIfNeeded: value), toByteOffset: 1, as: Int8.self)
        return 2
    } else if value >= Int64(Int16.min) && value <= Int64(Int16.max) {
        base.storeBytes(of: Marker.int16, as: UInt8.self)
        base.storeBytes(of: Int16(truncatingIfNeeded: value).bigEndian, toByteOffset: 1, as: Int16.self)
        return 3
    } else if value >= Int64(Int32.min) && value <= Int64(Int32.max) {
        base.storeBytes(of: Marker.int32, as: UInt8.self)
        base.storeBytes(of: Int32(truncatingIfNeeded: value).bigEndian, toByteOffset: 1, as: Int32.self)
        return 5
    } else {
        base.storeBytes(of: Marker.int64, as: UInt8.self)
        base.storeBytes(of: value.bigEndian, toByteOffset: 1, as: Int64.self)
        return 9
    }
}

// MARK: - Decoding

extension ByteBuffer {
    /// Reads one PackStream value (with everything nested in it) and moves the reader index past it.
    ///
    /// Accepts every width of every type, also non-minimal ones. Graph structures become
    /// ``BoltValue/node(_:)``, ``BoltValue/relationship(_:)``, ``BoltValue/unboundRelationship(_:)`` and
    /// ``BoltValue/path(_:)`` (Bolt 5 shapes, and Bolt 4 shapes whose element ids are filled with
    /// `String(id)`); every other structure becomes ``BoltValue/structure(_:)``.
    ///
    /// - Throws: ``PackStreamError``; the reader index is then left where it was.
    public mutating func readPackStreamValue() throws -> BoltValue {
        try self.readPackStreamValue(maximumNestingDepth: PackStream.defaultMaximumNestingDepth)
    }

    /// Reads one PackStream value, refusing lists, maps and structures nested more than
    /// `maximumNestingDepth` deep.
    public mutating func readPackStreamValue(maximumNestingDepth: Int) throws -> BoltValue {
        let (value, consumed) = try self.withUnsafeReadableBytes { bytes in
            var decoder = PackStreamDecoder(bytes: bytes, maximumDepth: maximumNestingDepth)
            let value = try decoder.decodeValue(depth: 0)
            return (value, decoder.position)
        }
        self.moveReaderIndex(forwardBy: consumed)
        return value
    }

    /// Reads a structure header (marker 0xB0...0xBF, then the tag byte) and moves the reader index past
    /// it; the caller reads `fieldCount` fields with ``readPackStreamValue()``.
    ///
    /// - Throws: ``PackStreamError/unexpectedEndOfInput`` when fewer than two bytes are readable,
    ///   ``PackStreamError/unexpectedMarker(_:expected:offset:)`` when the marker is not a structure's;
    ///   the reader index is then left where it was.
    public mutating func readPackStreamStructureHeader() throws -> (tag: UInt8, fieldCount: Int) {
        guard let marker = self.getInteger(at: self.readerIndex, as: UInt8.self) else {
            throw PackStreamError.unexpectedEndOfInput
        }
        guard marker & 0xF0 == Marker.tinyStructure else {
            throw PackStreamError.unexpectedMarker(marker, expected: "a structure", offset: 0)
        }
        guard let tag = self.getInteger(at: self.readerIndex + 1, as: UInt8.self) else {
            throw PackStreamError.unexpectedEndOfInput
        }
        self.moveReaderIndex(forwardBy: 2)
        return (tag, Int(marker & 0x0F))
    }
}

/// A recursive-descent PackStream decoder over the readable bytes of a buffer.
///
/// Every length is checked against the bytes left before anything is allocated, nesting is bounded, and
/// nothing in it can trap on any input.
private struct PackStreamDecoder {
    let bytes: UnsafeRawBufferPointer
    let maximumDepth: Int
    var position = 0

    init(bytes: UnsafeRawBufferPointer, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    var remaining: Int { self.bytes.count &- self.position }

    mutating func readByte() throws -> UInt8 {
        guard self.position < self.bytes.count else { throw PackStreamError.unexpectedEndOfInput }
        let byte = self.bytes[self.position]
        self.position &+= 1
        return byte
    }

    mutating func readBigEndian<T: FixedWidthInteger>(_: T.Type) throws -> T {
        let size = MemoryLayout<T>.size
        guard self.remaining >= size else { throw PackStreamError.unexpectedEndOfInput }
        let raw = self.bytes.loadUnaligned(fromByteOffset: self.position, as: T.self)
        self.position &+= size
        return T(bigEndian: raw)
    }

    /// Reads a size that follows a marker, as an `Int` that never traps (32-bit sizes on 32-bit platforms
    /// saturate and then fail the length check).
    mutating func readSize<T: FixedWidthInteger & UnsignedInteger>(_: T.Type) throws -> Int {
        let size = try self.readBigEndian(T.self)
        return Int(exactly: size) ?? Int.max
    }

    /// Checks that `count` entries, each at least `minimumBytesPerEntry` bytes, fit in what is left.
    func checkFits(_ count: Int, minimumBytesPerEntry: Int = 1) throws {
        guard count <= self.remaining / minimumBytesPerEntry else {
            throw PackStreamError.lengthExceedsInput(declared: count, available: self.remaining)
        }
    }

    mutating func decodeValue(depth: Int) throws -> BoltValue {
        let start = self.position
        let marker = try self.readByte()
        switch marker {
        case 0x00...0x7F:
            return .integer(Int64(marker))
        case 0xF0...0xFF:
            return .integer(Int64(Int8(bitPattern: marker)))
        case 0x80...0x8F:
            return .string(try self.readString(byteCount: Int(marker & 0x0F), start: start))
        case 0x90...0x9F:
            return .list(try self.readList(count: Int(marker & 0x0F), depth: depth))
        case 0xA0...0xAF:
            return .map(try self.readMap(count: Int(marker & 0x0F), depth: depth))
        case 0xB0...0xBF:
            return try self.readStructure(fieldCount: Int(marker & 0x0F), depth: depth)
        case 0xC0:  // NULL
            return .null
        case 0xC1:  // FLOAT_64
            return .float(Double(bitPattern: try self.readBigEndian(UInt64.self)))
        case 0xC2:  // FALSE
            return .boolean(false)
        case 0xC3:  // TRUE
            return .boolean(true)
        case 0xC8:  // INT_8
            return .integer(Int64(try self.readBigEndian(Int8.self)))
        case 0xC9:  // INT_16
            return .integer(Int64(try self.readBigEndian(Int16.self)))
        case 0xCA:  // INT_32
            return .integer(Int64(try self.readBigEndian(Int32.self)))
        case 0xCB:  // INT_64
            return .integer(try self.readBigEndian(Int64.self))
        case 0xCC:  // BYTES_8
            return .bytes(try self.readBytes(count: try self.readSize(UInt8.self)))
        case 0xCD:  // BYTES_16
            return .bytes(try self.readBytes(count: try self.readSize(UInt16.self)))
        case 0xCE:  // BYTES_32
            return .bytes(try self.readBytes(count: try self.readSize(UInt32.self)))
        case 0xD0:  // STRING_8
            return .string(try self.readString(byteCount: try self.readSize(UInt8.self), start: start))
        case 0xD1:  // STRING_16
            return .string(try self.readString(byteCount: try self.readSize(UInt16.self), start: start))
        case 0xD2:  // STRING_32
            return .string(try self.readString(byteCount: try self.readSize(UInt32.self), start: start))
        case 0xD4:  // LIST_8
            return .list(try self.readList(count: try self.readSize(UInt8.self), depth: depth))
        case 0xD5:  // LIST_16
            return .list(try self.readList(count: try self.readSize(UInt16.self), depth: depth))
        case 0xD6:  // LIST_32
            return .list(try self.readList(count: try self.readSize(UInt32.self), depth: depth))
        case 0xD8:  // MAP_8
            return .map(try self.readMap(count: try self.readSize(UInt8.self), depth: depth))
        case 0xD9:  // MAP_16
            return .map(try self.readMap(count: try self.readSize(UInt16.self), depth: depth))
        case 0xDA:  // MAP_32
            return .map(try self.readMap(count: try self.readSize(UInt32.self), depth: depth))
        default:
            throw PackStreamError.unknownMarker(marker, offset: start)
        }
    }

    mutating func readBytes(count: Int) throws -> [UInt8] {
        try self.checkFits(count)
        let slice = UnsafeRawBufferPointer(rebasing: self.bytes[self.position..<(self.position + count)])
        self.position += count
        return [UInt8](slice)
    }

    mutating func readString(byteCount: Int, start: Int) throws -> String {
        try self.checkFits(byteCount)
        let utf8 = UnsafeRawBufferPointer(rebasing: self.bytes[self.position..<(self.position + byteCount)])
        guard let string = validatedString(utf8) else { throw PackStreamError.invalidUTF8(offset: start) }
        self.position += byteCount
        return string
    }

    /// Reads a map key: a string in any of its forms, nothing else.
    mutating func readKey() throws -> String {
        let start = self.position
        let marker = try self.readByte()
        switch marker {
        case 0x80...0x8F:
            return try self.readString(byteCount: Int(marker & 0x0F), start: start)
        case 0xD0:  // STRING_8
            return try self.readString(byteCount: try self.readSize(UInt8.self), start: start)
        case 0xD1:  // STRING_16
            return try self.readString(byteCount: try self.readSize(UInt16.self), start: start)
        case 0xD2:  // STRING_32
            return try self.readString(byteCount: try self.readSize(UInt32.self), start: start)
        default:
            throw PackStreamError.nonStringMapKey(marker: marker, offset: start)
        }
    }

    func checkDepth(_ depth: Int) throws {
        guard depth < self.maximumDepth else { throw PackStreamError.nestingTooDeep(limit: self.maximumDepth) }
    }

    mutating func readList(count: Int, depth: Int) throws -> [BoltValue] {
        try self.checkDepth(depth)
        try self.checkFits(count)
        var list = [BoltValue]()
        list.reserveCapacity(count)
        for _ in 0..<count {
            list.append(try self.decodeValue(depth: depth + 1))
        }
        return list
    }

    mutating func readMap(count: Int, depth: Int) throws -> [String: BoltValue] {
        try self.checkDepth(depth)
        try self.checkFits(count, minimumBytesPerEntry: 2)
        var map = [String: BoltValue](minimumCapacity: count)
        for _ in 0..<count {
            let key = try self.readKey()
            // A key given twice: the last value wins, as in the reference drivers.
            map[key] = try self.decodeValue(depth: depth + 1)
        }
        return map
    }

    mutating func readStructure(fieldCount: Int, depth: Int) throws -> BoltValue {
        try self.checkDepth(depth)
        let tag = try self.readByte()
        try self.checkFits(fieldCount)
        var fields = [BoltValue]()
        fields.reserveCapacity(fieldCount)
        for _ in 0..<fieldCount {
            fields.append(try self.decodeValue(depth: depth + 1))
        }
        switch tag {
        case PackStream.Tag.node:
            return .node(try GraphShape.node(fields))
        case PackStream.Tag.relationship:
            return .relationship(try GraphShape.relationship(fields))
        case PackStream.Tag.unboundRelationship:
            return .unboundRelationship(try GraphShape.unboundRelationship(fields))
        case PackStream.Tag.path:
            return .path(try GraphShape.path(fields))
        case PackStream.Tag.date:
            return .date(try TemporalShape.date(fields))
        case PackStream.Tag.time:
            return .time(try TemporalShape.time(fields))
        case PackStream.Tag.localTime:
            return .localTime(try TemporalShape.localTime(fields))
        case PackStream.Tag.dateTime, PackStream.Tag.dateTimeZoneID, PackStream.Tag.legacyDateTime,
            PackStream.Tag.legacyDateTimeZoneID:
            return .dateTime(try TemporalShape.dateTime(fields, tag: tag))
        case PackStream.Tag.localDateTime:
            return .localDateTime(try TemporalShape.localDateTime(fields))
        case PackStream.Tag.duration:
            return .duration(try TemporalShape.duration(fields))
        case PackStream.Tag.point2D, PackStream.Tag.point3D:
            return .point(try TemporalShape.point(fields, tag: tag))
        default:
            return .structure(BoltValue.Structure(tag: tag, fields: fields))
        }
    }
}

/// Validates UTF-8 and makes a `String` of it, or `nil` when the bytes are not valid UTF-8.
private func validatedString(_ utf8: UnsafeRawBufferPointer) -> String? {
    // ASCII (most keys and values) is valid UTF-8 as it is, and `String(decoding:)` is the fastest way in.
    if isASCII(utf8) {
        return String(decoding: utf8, as: UTF8.self)
    }
    if #available(macOS 15, iOS 18, tvOS 18, watchOS 11, visionOS 2, *) {
        return String(validating: utf8, as: UTF8.self)
    } else {
        // `String(decoding:)` repairs invalid input; it reproduces the bytes exactly only when they were valid.
        let string = String(decoding: utf8, as: UTF8.self)
        return string.utf8.elementsEqual(utf8) ? string : nil
    }
}

private func isASCII(_ bytes: UnsafeRawBufferPointer) -> Bool {
    var offset = 0
    let count = bytes.count
    while offset + 8 <= count {
        if bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 {
            return false
        }
        offset += 8
    }
    while offset < count {
        if bytes[offset] & 0x80 != 0 { return false }
        offset += 1
    }
    return true
}
