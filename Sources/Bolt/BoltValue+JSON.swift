// JSON for values (`sluice cypher --json`) and the JSON-or-text parsing of `--param k=v`. Foundation-free.

// MARK: - Value to JSON

extension BoltValue {
    /// The value as compact JSON text with object keys sorted.
    ///
    /// - null, booleans, integers, floats, strings, lists and maps as themselves; NaN and the infinities,
    ///   which JSON lacks, as the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
    /// - bytes as a base64 string.
    /// - dates, times, date-times and durations as their ISO-8601 strings (``BoltDateTime/description``:
    ///   `"2024-05-01T12:34:56+02:00[Europe/Berlin]"`); a point as `{"srid", "x", "y"}` (and `"z"`).
    /// - a node as `{"elementId", "id", "labels", "properties"}`; a relationship as `{"elementId",
    ///   "endElementId", "endId", "id", "properties", "startElementId", "startId", "type"}` (an unbound one
    ///   without the ends); a path as `{"nodes", "relationships"}` in walk order, each relationship with the
    ///   ends it really has.
    /// - any other structure as `{"$structure": tag, "fields": [...]}`.
    public var jsonText: String {
        var output = ""
        JSONText.append(self, to: &output)
        return output
    }
}

enum JSONText {
    static func append(_ value: BoltValue, to output: inout String) {
        switch value {
        case .null:
            output += "null"
        case .boolean(let bool):
            output += bool ? "true" : "false"
        case .integer(let integer):
            output += String(integer)
        case .float(let double):
            if double.isNaN {
                output += "\"NaN\""
            } else if double.isInfinite {
                output += double < 0 ? "\"-Infinity\"" : "\"Infinity\""
            } else {
                // Swift prints the shortest text that reads back as the same double: valid JSON numbers
                // (`1.0`, `0.1`, `1e+20`, `-0.0`).
                output += double.description
            }
        case .string(let string):
            self.appendString(string, to: &output)
        case .bytes(let bytes):
            output += "\""
            output += base64(bytes)
            output += "\""
        case .list(let list):
            output += "["
            for (position, element) in list.enumerated() {
                if position > 0 { output += "," }
                self.append(element, to: &output)
            }
            output += "]"
        case .map(let map):
            self.appendObject(map, to: &output)
        case .date(let date):
            self.appendString(date.description, to: &output)
        case .time(let time):
            self.appendString(time.description, to: &output)
        case .localTime(let time):
            self.appendString(time.description, to: &output)
        case .dateTime(let dateTime):
            self.appendString(dateTime.description, to: &output)
        case .localDateTime(let dateTime):
            self.appendString(dateTime.description, to: &output)
        case .duration(let duration):
            self.appendString(duration.description, to: &output)
        case .point(let point):
            var coordinates: [String: BoltValue] = [
                "srid": .integer(point.srid), "x": .float(point.x), "y": .float(point.y),
            ]
            coordinates["z"] = point.z.map(BoltValue.float)
            self.appendObject(coordinates, to: &output)
        case .node(let node):
            self.append(node, to: &output)
        case .relationship(let relationship):
            self.append(relationship, to: &output)
        case .unboundRelationship(let relationship):
            self.appendObject(
                [
                    "elementId": .string(relationship.elementID),
                    "id": .integer(relationship.id),
                    "properties": .map(relationship.properties),
                    "type": .string(relationship.type),
                ],
                to: &output
            )
        case .path(let path):
            output += "{\"nodes\":["
            if let start = path.start, let segments = path.segments {
                self.append(start, to: &output)
                for segment in segments {
                    output += ","
                    self.append(segment.end, to: &output)
                }
                output += "],\"relationships\":["
                for (position, segment) in segments.enumerated() {
                    if position > 0 { output += "," }
                    self.append(segment.relationship, to: &output)
                }
            } else {
                // Indices that do not walk: the distinct parts as they came, relationships without ends.
                for (position, node) in path.nodes.enumerated() {
                    if position > 0 { output += "," }
                    self.append(node, to: &output)
                }
                output += "],\"relationships\":["
                for (position, relationship) in path.relationships.enumerated() {
                    if position > 0 { output += "," }
                    self.append(.unboundRelationship(relationship), to: &output)
                }
            }
            output += "]}"
        case .structure(let structure):
            output += "{\"$structure\":"
            output += String(structure.tag)
            output += ",\"fields\":"
            self.append(.list(structure.fields), to: &output)
            output += "}"
        }
    }

    static func append(_ node: BoltValue.Node, to output: inout String) {
        output += "{\"elementId\":"
        self.appendString(node.elementID, to: &output)
        output += ",\"id\":"
        output += String(node.id)
        output += ",\"labels\":["
        for (position, label) in node.labels.enumerated() {
            if position > 0 { output += "," }
            self.appendString(label, to: &output)
        }
        output += "],\"properties\":"
        self.appendObject(node.properties, to: &output)
        output += "}"
    }

    static func append(_ relationship: BoltValue.Relationship, to output: inout String) {
        self.appendObject(
            [
                "elementId": .string(relationship.elementID),
                "endElementId": .string(relationship.endNodeElementID),
                "endId": .integer(relationship.endNodeID),
                "id": .integer(relationship.id),
                "properties": .map(relationship.properties),
                "startElementId": .string(relationship.startNodeElementID),
                "startId": .integer(relationship.startNodeID),
                "type": .string(relationship.type),
            ],
            to: &output
        )
    }

    static func appendObject(_ map: [String: BoltValue], to output: inout String) {
        output += "{"
        for (position, key) in map.keys.sorted().enumerated() {
            if position > 0 { output += "," }
            self.appendString(key, to: &output)
            output += ":"
            if let value = map[key] {
                self.append(value, to: &output)
            }
        }
        output += "}"
    }

    static func appendString(_ string: String, to output: inout String) {
        output += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16, uppercase: false)
                output += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var encoded = [UInt8]()
        encoded.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let chunk = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            encoded.append(alphabet[Int(chunk >> 18 & 0x3F)])
            encoded.append(alphabet[Int(chunk >> 12 & 0x3F)])
            encoded.append(alphabet[Int(chunk >> 6 & 0x3F)])
            encoded.append(alphabet[Int(chunk & 0x3F)])
            index += 3
        }
        let rest = bytes.count - index
        if rest > 0 {
            let second = rest == 2 ? UInt32(bytes[index + 1]) << 8 : 0
            let chunk = UInt32(bytes[index]) << 16 | second
            encoded.append(alphabet[Int(chunk >> 18 & 0x3F)])
            encoded.append(alphabet[Int(chunk >> 12 & 0x3F)])
            encoded.append(rest == 2 ? alphabet[Int(chunk >> 6 & 0x3F)] : UInt8(ascii: "="))
            encoded.append(UInt8(ascii: "="))
        }
        return String(decoding: encoded, as: UTF8.self)
    }
}

// MARK: - JSON to value

extension BoltValue {
    /// Why text is not a JSON value.
    public struct JSONParseError: Error, Equatable, Sendable, CustomStringConvertible {
        /// Byte offset into the UTF-8 text.
        public var offset: Int
        public var reason: String

        public init(offset: Int, reason: String) {
            self.offset = offset
            self.reason = reason
        }

        public var description: String { "invalid JSON at byte \(self.offset): \(self.reason)" }
    }

    /// Parses one JSON value (surrounding whitespace allowed). Integers without fraction or exponent that
    /// fit in 64 bits become ``BoltValue/integer(_:)``; every other number becomes ``BoltValue/float(_:)``.
    public init(jsonText text: String) throws {
        var text = text
        self = try text.withUTF8 { utf8 in
            var parser = JSONParser(bytes: utf8)
            parser.skipWhitespace()
            let value = try parser.parseValue(depth: 0)
            parser.skipWhitespace()
            guard parser.position == utf8.count else {
                throw JSONParseError(offset: parser.position, reason: "unexpected text after the value")
            }
            return value
        }
    }

    /// The value of a `--param name=text` argument: `text` as a JSON value when it is one (`42`, `-1.5`,
    /// `true`, `null`, `"quoted"`, `[1,2]`, `{"a":1}`; integers stay integers), otherwise the text itself
    /// as a string (`hello`, `2024-05-01`, `[1,` too).
    public init(parameterText text: String) {
        self = (try? BoltValue(jsonText: text)) ?? .string(text)
    }
}

private struct JSONParser {
    /// Deeper nesting is refused rather than risking the stack.
    static let maximumDepth = 512

    let bytes: UnsafeBufferPointer<UInt8>
    var position = 0

    init(bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
    }

    func error(_ reason: String) -> BoltValue.JSONParseError {
        BoltValue.JSONParseError(offset: self.position, reason: reason)
    }

    var current: UInt8? { self.position < self.bytes.count ? self.bytes[self.position] : nil }

    mutating func skipWhitespace() {
        while let byte = self.current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            self.position += 1
        }
    }

    mutating func expect(_ literal: String, value: BoltValue) throws -> BoltValue {
        for byte in literal.utf8 {
            guard self.current == byte else { throw self.error("expected \(literal)") }
            self.position += 1
        }
        return value
    }

    mutating func parseValue(depth: Int) throws -> BoltValue {
        guard let byte = self.current else { throw self.error("expected a value") }
        switch byte {
        case UInt8(ascii: "n"): return try self.expect("null", value: .null)
        case UInt8(ascii: "t"): return try self.expect("true", value: .boolean(true))
        case UInt8(ascii: "f"): return try self.expect("false", value: .boolean(false))
        case UInt8(ascii: "\""): return .string(try self.parseString())
        case UInt8(ascii: "["): return try self.parseArray(depth: depth)
        case UInt8(ascii: "{"): return try self.parseObject(depth: depth)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try self.parseNumber()
        default: throw self.error("expected a value")
        }
    }

    mutating func parseArray(depth: Int) throws -> BoltValue {
        guard depth < Self.maximumDepth else { throw self.error("nested deeper than \(Self.maximumDepth)") }
        self.position += 1  // [
        var list = [BoltValue]()
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.position += 1
            return .list(list)
        }
        while true {
            self.skipWhitespace()
            list.append(try self.parseValue(depth: depth + 1))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.position += 1
            case UInt8(ascii: "]"):
                self.position += 1
                return .list(list)
            default: throw self.error("expected , or ]")
            }
        }
    }

    mutating func parseObject(depth: Int) throws -> BoltValue {
        guard depth < Self.maximumDepth else { throw self.error("nested deeper than \(Self.maximumDepth)") }
        self.position += 1  // {
        var map = [String: BoltValue]()
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.position += 1
            return .map(map)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { throw self.error("expected a string key") }
            let key = try self.parseString()
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw self.error("expected :") }
            self.position += 1
            self.skipWhitespace()
            map[key] = try self.parseValue(depth: depth + 1)
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","): self.position += 1
            case UInt8(ascii: "}"):
                self.position += 1
                return .map(map)
            default: throw self.error("expected , or }")
            }
        }
    }

    mutating func parseString() throws -> String {
        self.position += 1  // opening quote
        var scalars = String.UnicodeScalarView()
        var runStart = self.position
        // Copies runs of plain bytes at once; the input is a Swift string, so already valid UTF-8.
        func flush(_ parser: JSONParser, upTo end: Int) {
            if end > runStart {
                let run = UnsafeBufferPointer(rebasing: parser.bytes[runStart..<end])
                scalars.append(contentsOf: String(decoding: run, as: UTF8.self).unicodeScalars)
            }
        }
        while true {
            guard let byte = self.current else { throw self.error("unterminated string") }
            switch byte {
            case UInt8(ascii: "\""):
                flush(self, upTo: self.position)
                self.position += 1
                return String(scalars)
            case UInt8(ascii: "\\"):
                flush(self, upTo: self.position)
                self.position += 1
                scalars.append(try self.parseEscape())
                runStart = self.position
            case 0x00..<0x20:
                throw self.error("control character in string")
            default:
                self.position += 1
            }
        }
    }

    mutating func parseEscape() throws -> Unicode.Scalar {
        guard let byte = self.current else { throw self.error("unterminated escape") }
        self.position += 1
        switch byte {
        case UInt8(ascii: "\""): return "\""
        case UInt8(ascii: "\\"): return "\\"
        case UInt8(ascii: "/"): return "/"
        case UInt8(ascii: "b"): return "\u{08}"
        case UInt8(ascii: "f"): return "\u{0C}"
        case UInt8(ascii: "n"): return "\n"
        case UInt8(ascii: "r"): return "\r"
        case UInt8(ascii: "t"): return "\t"
        case UInt8(ascii: "u"):
            let unit = try self.parseHex4()
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by an escaped low surrogate.
                guard self.current == UInt8(ascii: "\\") else { throw self.error("unpaired surrogate") }
                self.position += 1
                guard self.current == UInt8(ascii: "u") else { throw self.error("unpaired surrogate") }
                self.position += 1
                let low = try self.parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw self.error("unpaired surrogate") }
                let value = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)
                guard let scalar = Unicode.Scalar(value) else { throw self.error("invalid code point") }
                return scalar
            }
            guard let scalar = Unicode.Scalar(unit) else { throw self.error("unpaired surrogate") }
            return scalar
        default:
            self.position -= 1
            throw self.error("invalid escape")
        }
    }

    mutating func parseHex4() throws -> UInt32 {
        var value: UInt32 = 0
        for _ in 0..<4 {
            guard let byte = self.current else { throw self.error("expected 4 hex digits") }
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw self.error("expected 4 hex digits")
            }
            value = value << 4 | UInt32(digit)
            self.position += 1
        }
        return value
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`
    mutating func parseNumber() throws -> BoltValue {
        let start = self.position
        if self.current == UInt8(ascii: "-") { self.position += 1 }
        guard let first = self.current, self.isDigit(first) else { throw self.error("expected a digit") }
        self.position += 1
        if first != UInt8(ascii: "0") {
            self.skipDigits()
        }
        var isInteger = true
        if self.current == UInt8(ascii: ".") {
            isInteger = false
            self.position += 1
            guard let digit = self.current, self.isDigit(digit) else { throw self.error("expected a digit") }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            isInteger = false
            self.position += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") { self.position += 1 }
            guard let digit = self.current, self.isDigit(digit) else { throw self.error("expected a digit") }
            self.skipDigits()
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: self.bytes[start..<self.position]), as: UTF8.self)
        if isInteger, let integer = Int64(text) {
            return .integer(integer)
        }
        // Integers beyond 64 bits fall back to a float, as JSON numbers are.
        guard let double = Double(text) else { throw BoltValue.JSONParseError(offset: start, reason: "bad number") }
        return .float(double)
    }

    func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    mutating func skipDigits() {
        while let byte = self.current, self.isDigit(byte) {
            self.position += 1
        }
    }
}
