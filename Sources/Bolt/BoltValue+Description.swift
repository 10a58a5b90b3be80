// Text rendering of values as cypher-shell shows them: `NULL`, `TRUE`, `1`, `1.5`, `"text"`, `[1, 2]`,
// `{a: 1, b: "x"}`, `(:Label {k: v})`, `[:TYPE {k: v}]`, `(:A)-[:R]->(:B)`, temporal values in ISO-8601
// without quotes (`2024-05-01`, `P1DT2H`), `point({srid:7203, x:1.0, y:2.0})`. Map keys (and properties) are
// sorted so the output is deterministic. Strings are escaped as Cypher string literals (cypher-shell only
// escapes the double quote; control characters are escaped here too so a value stays on one line).

extension BoltValue: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.append(self, to: &output)
        return output
    }
}

extension BoltValue.Node: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.append(self, to: &output)
        return output
    }
}

extension BoltValue.Relationship: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.appendRelationship(type: self.type, properties: self.properties, to: &output)
        return output
    }
}

extension BoltValue.UnboundRelationship: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.appendRelationship(type: self.type, properties: self.properties, to: &output)
        return output
    }
}

extension BoltValue.Path: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.append(self, to: &output)
        return output
    }
}

extension BoltValue.Structure: CustomStringConvertible {
    public var description: String {
        var output = ""
        CypherText.append(self, to: &output)
        return output
    }
}

/// The renderer behind the `description`s.
enum CypherText {
    static func append(_ value: BoltValue, to output: inout String) {
        switch value {
        case .null:
            output += "NULL"
        case .boolean(let bool):
            output += bool ? "TRUE" : "FALSE"
        case .integer(let integer):
            output += String(integer)
        case .float(let double):
            output += self.float(double)
        case .string(let string):
            self.appendQuoted(string, to: &output)
        case .bytes(let bytes):
            self.appendHex(bytes, to: &output)
        case .list(let list):
            output += "["
            for (position, element) in list.enumerated() {
                if position > 0 { output += ", " }
                self.append(element, to: &output)
            }
            output += "]"
        case .map(let map):
            self.appendMap(map, to: &output)
        case .date(let date):
            output += date.description
        case .time(let time):
            output += time.description
        case .localTime(let time):
            output += time.description
        case .dateTime(let dateTime):
            output += dateTime.description
        case .localDateTime(let dateTime):
            output += dateTime.description
        case .duration(let duration):
            output += duration.description
        case .point(let point):
            output += point.description
        case .node(let node):
            self.append(node, to: &output)
        case .relationship(let relationship):
            self.appendRelationship(type: relationship.type, properties: relationship.properties, to: &output)
        case .unboundRelationship(let relationship):
            self.appendRelationship(type: relationship.type, properties: relationship.properties, to: &output)
        case .path(let path):
            self.append(path, to: &output)
        case .structure(let structure):
            self.append(structure, to: &output)
        }
    }

    /// `1.0`, `1.5`, `1e+20`; `NaN`, `Infinity` and `-Infinity` as Cypher (and Java) write them.
    static func float(_ double: Double) -> String {
        if double.isNaN { return "NaN" }
        if double.isInfinite { return double < 0 ? "-Infinity" : "Infinity" }
        return double.description
    }

    static func append(_ node: BoltValue.Node, to output: inout String) {
        output += "("
        for label in node.labels {
            output += ":"
            self.appendName(label, to: &output)
        }
        if !node.properties.isEmpty {
            if !node.labels.isEmpty { output += " " }
            self.appendMap(node.properties, to: &output)
        }
        output += ")"
    }

    static func appendRelationship(type: String, properties: [String: BoltValue], to output: inout String) {
        output += "[:"
        self.appendName(type, to: &output)
        if !properties.isEmpty {
            output += " "
            self.appendMap(properties, to: &output)
        }
        output += "]"
    }

    static func append(_ path: BoltValue.Path, to output: inout String) {
        guard let start = path.start, let segments = path.segments else {
            // Indices that do not walk: show the parts as they came.
            output += "Path(nodes: "
            self.append(.list(path.nodes.map(BoltValue.node)), to: &output)
            output += ", relationships: "
            self.append(.list(path.relationships.map(BoltValue.unboundRelationship)), to: &output)
            output += ", indices: "
            self.append(.list(path.indices.map(BoltValue.integer)), to: &output)
            output += ")"
            return
        }
        self.append(start, to: &output)
        for segment in segments {
            output += segment.isForward ? "-" : "<-"
            self.appendRelationship(
                type: segment.relationship.type,
                properties: segment.relationship.properties,
                to: &output
            )
            output += segment.isForward ? "->" : "-"
            self.append(segment.end, to: &output)
        }
    }

    /// `Structure(0x56)[#c8, #0102]`.
    static func append(_ structure: BoltValue.Structure, to output: inout String) {
        output += "Structure("
        self.appendHexByte(structure.tag, prefix: "0x", uppercase: true, to: &output)
        output += ")"
        self.append(.list(structure.fields), to: &output)
    }

    static func appendMap(_ map: [String: BoltValue], to output: inout String) {
        output += "{"
        for (position, key) in map.keys.sorted().enumerated() {
            if position > 0 { output += ", " }
            self.appendName(key, to: &output)
            output += ": "
            if let value = map[key] {
                self.append(value, to: &output)
            }
        }
        output += "}"
    }

    /// A key, label or type: as is when it is an identifier (a letter or `_`, then letters, digits or `_`),
    /// otherwise in backticks with backticks doubled.
    static func appendName(_ name: String, to output: inout String) {
        if self.isIdentifier(name) {
            output += name
        } else {
            output += "`"
            output += name.replacingBackticks()
            output += "`"
        }
    }

    static func isIdentifier(_ name: String) -> Bool {
        guard let first = name.first, first.isLetter || first == "_" else { return false }
        return name.dropFirst().allSatisfy { $0.isLetter || $0 == "_" || ("0"..."9").contains($0) }
    }

    /// A Cypher string literal in double quotes.
    static func appendQuoted(_ string: String, to output: inout String) {
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
            case "\u{00}"..."\u{1F}", "\u{7F}":
                output += "\\u00"
                self.appendHexByte(UInt8(truncatingIfNeeded: scalar.value), prefix: "", uppercase: true, to: &output)
            default: output.unicodeScalars.append(scalar)
            }
        }
        output += "\""
    }

    /// Bytes as cypher-shell shows them: `#` and two lowercase hex digits a byte (`#00ff10`).
    static func appendHex(_ bytes: [UInt8], to output: inout String) {
        output += "#"
        for byte in bytes {
            self.appendHexByte(byte, prefix: "", uppercase: false, to: &output)
        }
    }

    static func appendHexByte(_ byte: UInt8, prefix: String, uppercase: Bool, to output: inout String) {
        let digits: [Unicode.Scalar] = uppercase ? Self.upperDigits : Self.lowerDigits
        output += prefix
        output.unicodeScalars.append(digits[Int(byte >> 4)])
        output.unicodeScalars.append(digits[Int(byte & 0x0F)])
    }

    static let lowerDigits = Array("0123456789abcdef".unicodeScalars)
    static let upperDigits = Array("0123456789ABCDEF".unicodeScalars)
}

extension String {
    fileprivate func replacingBackticks() -> String {
        var result = ""
        for character in self {
            if character == "`" { result += "``" } else { result.append(character) }
        }
        return result
    }
}
