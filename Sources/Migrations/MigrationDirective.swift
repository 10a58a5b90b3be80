import Foundation

/// One `// sluice:` line of a migration file.
enum MigrationDirective: Equatable {
    /// What a section line introduces; its Cypher follows on the next lines.
    enum Section: Equatable, CustomStringConvertible {
        case probe
        case schema(MigrationDirection.Kind)
        case data(MigrationDirection.Kind)
        case verify(MigrationDirection.Kind)

        var description: String {
            switch self {
            case .probe: "probe"
            case .schema(let kind): "\(kind) schema"
            case .data(let kind): "\(kind) data"
            case .verify(let kind): "\(kind) verify"
            }
        }

        /// The direction the section belongs to; nil for the probe.
        var direction: MigrationDirection.Kind? {
            switch self {
            case .probe: nil
            case .schema(let kind), .data(let kind), .verify(let kind): kind
            }
        }

        /// Whether the section is a step (schema or data), not a query.
        var isStep: Bool {
            switch self {
            case .schema, .data: true
            case .probe, .verify: false
            }
        }
    }

    case description(String)
    case requires([String])
    case maxItems(Int)
    case batchSize(Int)
    case parameter(name: String, expression: String)
    case usesIndex(IndexRequirement)
    case section(Section)

    /// The word a directive's comment text starts with.
    static let word = "sluice"
    /// What a directive's comment text starts with, exactly: the word, in lower case, and a colon.
    static let marker = word + ":"

    /// The comment text of a line whose comment starts with the word `sluice`, in any case: a directive,
    /// or a line meant as one. Such a line is never a free comment: inside a section, a misspelled
    /// `// Sluice:up verify` would otherwise leave the Cypher below it in the step above.
    static func directiveComment(of line: Substring) -> Substring? {
        let trimmed = line.drop { $0 == " " || $0 == "\t" }
        guard trimmed.hasPrefix("//") else { return nil }
        let comment = trimmed.dropFirst(2).drop { $0 == " " || $0 == "\t" }
        guard comment.prefix(word.count).lowercased() == word else { return nil }
        let next = comment.dropFirst(word.count).first
        guard next.map({ !$0.isLetter && !$0.isNumber && $0 != "_" }) ?? true else { return nil }
        return comment
    }

    /// Parses a directive line's comment text (see ``directiveComment(of:)``) found on line `line`;
    /// refuses one not written exactly `sluice:<directive>`, with what it probably meant.
    init(comment: Substring, line: Int) throws(MigrationIssue) {
        let text = comment.dropFirst(Self.marker.count)
        guard comment.hasPrefix(Self.marker), let first = text.first, !first.isWhitespace else {
            throw MigrationIssue(
                line: line,
                .malformedDirective(String(comment), suggestion: Self.suggestion(for: comment))
            )
        }
        try self.init(text, line: line)
    }

    /// The directive a malformed directive line probably meant: the words after `sluice`, with the
    /// keyword (or else the whole line) in lower case, if that parses.
    private static func suggestion(for comment: Substring) -> String? {
        let rest = comment.dropFirst(word.count).drop { $0 == ":" || $0.isWhitespace }
        let keyword = rest.prefix { !$0.isWhitespace }
        for candidate in [keyword.lowercased() + rest.dropFirst(keyword.count), rest.lowercased()]
        where (try? MigrationDirective(Substring(candidate), line: 0)) != nil {
            return "// " + marker + candidate
        }
        return nil
    }

    /// Parses the text after `// sluice:` on line `line`.
    private init(_ text: Substring, line: Int) throws(MigrationIssue) {
        let keyword = String(text.prefix { !$0.isWhitespace })
        let argument = text.dropFirst(keyword.count).trimmingWhitespace
        func required(_ expected: String) throws(MigrationIssue) -> String {
            guard !argument.isEmpty else {
                throw MigrationIssue(line: line, .missingArgument(directive: keyword, expected: expected))
            }
            return argument
        }
        /// ASCII digits, in groups joined by single `_` (`1_000_000`): `Int` alone would also take a
        /// sign (`+5`), and dropping every `_` took `1__0` and `_10`.
        func number() throws(MigrationIssue) -> Int {
            let groups = try required("a number").split(separator: "_", omittingEmptySubsequences: false)
            guard groups.allSatisfy({ !$0.isEmpty && $0.allSatisfy { $0.isASCII && $0.isNumber } }),
                let value = Int(groups.joined()), value > 0
            else {
                throw MigrationIssue(line: line, .badNumber(directive: keyword, text: argument))
            }
            return value
        }
        switch keyword {
        case "description":
            self = .description(try required("a sentence saying what the migration changes and why"))
        case "requires":
            let features = try required("the Cypher features the migration needs, comma-separated")
                .split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
            guard features.allSatisfy({ !$0.isEmpty }) else {
                throw MigrationIssue(line: line, .missingArgument(directive: keyword, expected: "no empty feature"))
            }
            if let unknown = features.first(where: { CypherFeature(rawValue: $0) == nil }) {
                throw MigrationIssue(line: line, .unknownFeature(unknown))
            }
            self = .requires(features)
        case "max_items":
            self = .maxItems(try number())
        case "batch_size":
            self = .batchSize(try number())
        case "param":
            self = try Self.parameter(try required("NAME = EXPRESSION"), line: line)
        case "uses_index":
            self = .usesIndex(try Self.index(try required(":Label(property)"), line: line))
        case "probe":
            guard argument.isEmpty else {
                throw MigrationIssue(line: line, .unexpectedArgument(directive: keyword, argument: argument))
            }
            self = .section(.probe)
        default:
            guard let direction = MigrationDirection.Kind(rawValue: keyword) else {
                throw MigrationIssue(line: line, .unknownDirective(keyword))
            }
            let allowed = direction == .finalize ? ["data", "verify"] : ["schema", "data", "verify"]
            let expected = allowed.joined(separator: ", ").replacingLast(", ", with: " or ")
            switch try required(expected) {
            case "schema" where allowed.contains("schema"): self = .section(.schema(direction))
            case "data": self = .section(.data(direction))
            case "verify": self = .section(.verify(direction))
            default: throw MigrationIssue(line: line, .missingArgument(directive: keyword, expected: expected))
            }
        }
    }

    private static func parameter(_ text: String, line: Int) throws(MigrationIssue) -> MigrationDirective {
        guard let equals = text.firstIndex(of: "=") else { throw MigrationIssue(line: line, .invalidParameter(text)) }
        let name = String(text[..<equals]).trimmingWhitespace
        let expression = String(text[text.index(after: equals)...]).trimmingWhitespace
        guard isIdentifier(name), !expression.isEmpty else { throw MigrationIssue(line: line, .invalidParameter(text)) }
        guard !name.hasPrefix(MigrationParameter.reservedPrefix) else {
            throw MigrationIssue(line: line, .reservedParameter(name))
        }
        return .parameter(name: name, expression: expression)
    }

    /// `:Label(a, b)` or `[:TYPE](a)`.
    private static func index(_ text: String, line: Int) throws(MigrationIssue) -> IndexRequirement {
        let invalid = MigrationIssue(line: line, .invalidIndex(text))
        guard let open = text.firstIndex(of: "("), text.hasSuffix(")") else { throw invalid }
        let target = text[..<open].filter { !$0.isWhitespace }
        let properties = text[text.index(after: open)..<text.index(before: text.endIndex)]
            .split(separator: ",", omittingEmptySubsequences: false).map { String($0).trimmingWhitespace }
        let entity: IndexRequirement.Entity
        let name: Substring
        if target.hasPrefix(":") {
            (entity, name) = (.node, target.dropFirst())
        } else if target.hasPrefix("[:"), target.hasSuffix("]") {
            (entity, name) = (.relationship, target.dropFirst(2).dropLast())
        } else {
            throw invalid
        }
        guard isIdentifier(String(name)), properties.allSatisfy(isIdentifier) else { throw invalid }
        return IndexRequirement(entity: entity, labelOrType: String(name), properties: properties, line: line)
    }

    private static func isIdentifier(_ text: String) -> Bool {
        guard let first = text.first, first == "_" || first.isLetter else { return false }
        return text.allSatisfy { $0 == "_" || $0.isLetter || $0.isNumber }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }

    fileprivate func replacingLast(_ target: String, with replacement: String) -> String {
        guard let range = range(of: target, options: .backwards) else { return String(self) }
        return String(self[..<range.lowerBound]) + replacement + String(self[range.upperBound...])
    }
}
