/// The tokens of one section's Cypher, with the questions the parser asks of them.
struct CypherStatement {
    /// Words that start a clause when they stand outside brackets.
    static let clauseKeywords: Set<String> = [
        "MATCH", "OPTIONAL", "WHERE", "WITH", "UNWIND", "SET", "REMOVE", "DELETE", "DETACH", "CREATE", "MERGE",
        "FOREACH", "CALL", "RETURN", "ORDER", "SKIP", "LIMIT", "UNION", "USE", "LOAD", "FINISH",
    ]
    /// Words that start a clause writing to the graph.
    static let writingKeywords: Set<String> = ["SET", "REMOVE", "DELETE", "DETACH", "CREATE", "MERGE", "FOREACH"]

    let source: String
    let tokens: [CypherToken]

    /// Lexes `source`, whose first line is line `firstLine` of the file, for the section named
    /// `section` that starts on line `sectionLine`. A `;` may end the statement, nowhere else.
    init(source: String, firstLine: Int, section: String, sectionLine: Int) throws(MigrationIssue) {
        self.source = source
        var tokens: [CypherToken]
        do {
            tokens = try CypherLexer.tokens(of: source, firstLine: firstLine)
        } catch {
            throw MigrationIssue(line: error.line, .malformedCypher(error.reason))
        }
        if let last = tokens.last, last.kind == .symbol, last.text == ";" {
            tokens.removeLast()
        }
        if let semicolon = tokens.first(where: { $0.kind == .symbol && $0.text == ";" }) {
            throw MigrationIssue(line: semicolon.line, .multipleStatements)
        }
        guard !tokens.isEmpty else { throw MigrationIssue(line: sectionLine, .emptySection(section)) }
        self.tokens = tokens
    }

    var line: Int { tokens[0].line }

    /// The features beyond the common core this statement uses, whether or not a `requires` line names them: pre-flight
    /// probes them all, so a server without one refuses the job before its first write, not at the statement.
    var features: Set<CypherFeature> {
        var found: Set<CypherFeature> = []
        for index in tokens.indices {
            let token = tokens[index]
            let previous = index > 0 ? tokens[index - 1] : nil
            func next(_ offset: Int) -> CypherToken? {
                index + offset < tokens.count ? tokens[index + offset] : nil
            }
            func isSymbol(_ token: CypherToken?, _ text: String) -> Bool {
                token.map { $0.kind == .symbol && $0.text == text } ?? false
            }
            func isWord(_ token: CypherToken?, _ word: String) -> Bool {
                token.map { $0.kind == .word && $0.name.uppercased() == word } ?? false
            }
            guard token.kind == .word, !isSymbol(previous, "."), !isSymbol(previous, ":") else { continue }
            switch token.name.uppercased() {
            case "IS" where isSymbol(next(1), ":") && isSymbol(next(2), ":"):
                found.insert(.typePredicate)
            case "DURATION" where isSymbol(next(1), ".") && next(2)?.name == "inDays":
                found.insert(.durationInDays)
            case "DATETIME" where isSymbol(next(1), "("):
                found.insert(.datetime)
            case "INDEX" where isWord(next(1), "IF") && isWord(next(2), "NOT") && isWord(next(3), "EXISTS"):
                found.insert(.indexIfNotExists)
            case "EXISTS" where isSymbol(next(1), "{"):
                found.insert(.existsSubquery)
            case "COUNT" where isSymbol(next(1), "{"):
                found.insert(.countSubquery)
            default:
                break
            }
        }
        return found
    }

    /// The source from the first token of `range` to the end of its last, comments between them kept.
    func text(_ range: Range<Int>) -> String {
        guard !range.isEmpty else { return "" }
        return String(source[tokens[range.lowerBound].text.startIndex..<tokens[range.upperBound - 1].text.endIndex])
    }

    var text: String { text(tokens.indices) }

    /// Whether token `index` is `keyword` used as a keyword (not a property, label or map key).
    func isKeyword(_ keyword: String, at index: Int) -> Bool {
        tokens[index].isKeyword(
            keyword,
            after: index > 0 ? tokens[index - 1] : nil,
            before: index + 1 < tokens.count ? tokens[index + 1] : nil
        )
    }

    /// The clause keyword token `index` starts, upper-cased, if it starts one outside brackets.
    /// `WITH` after `STARTS` or `ENDS` is an operator, not a clause.
    func clauseKeyword(at index: Int) -> String? {
        let token = tokens[index]
        guard token.depth == 0, token.kind == .word else { return nil }
        let word = token.name.uppercased()
        guard Self.clauseKeywords.contains(word), isKeyword(word, at: index) else { return nil }
        if word == "WITH", index > 0, ["STARTS", "ENDS"].contains(tokens[index - 1].name.uppercased()) {
            return nil
        }
        return word
    }

    /// The index of the first clause keyword at or after `start`.
    func firstClause(from start: Int) -> Int? {
        (start..<tokens.count).first { clauseKeyword(at: $0) != nil }
    }

    /// The first keyword in `range` that writes to the graph, at any depth (`CALL { ... SET ... }` too).
    func firstWritingKeyword(in range: Range<Int>? = nil) -> String? {
        for index in range ?? tokens.indices {
            let word = tokens[index].name.uppercased()
            if tokens[index].kind == .word, Self.writingKeywords.contains(word), isKeyword(word, at: index) {
                return word
            }
        }
        return nil
    }

    /// Every `$parameter`, with its line.
    var parameters: [CypherToken] {
        tokens.filter { $0.kind == .parameter }
    }

    /// Every name (property, variable, label) that starts with `prefix`.
    func names(startingWith prefix: String) -> [CypherToken] {
        tokens.filter { ($0.kind == .word || $0.kind == .quotedName) && $0.name.hasPrefix(prefix) }
    }
}
