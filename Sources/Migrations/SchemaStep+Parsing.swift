extension SchemaStep {
    /// Index kinds Neo4j writes before INDEX (`CREATE TEXT INDEX ...`).
    private static let indexKinds: Set<String> = ["RANGE", "TEXT", "POINT", "LOOKUP", "FULLTEXT", "VECTOR", "BTREE"]

    /// Reads `CREATE|DROP [kind] INDEX|CONSTRAINT [name] ...`.
    init(_ statement: CypherStatement) throws(MigrationIssue) {
        let words = statement.tokens.map { $0.kind == .word ? $0.name.uppercased() : "" }
        guard let action = Action(rawValue: words[0].lowercased()) else {
            throw MigrationIssue(line: statement.line, .notASchemaStatement)
        }
        var index = 1
        while index < words.count, Self.indexKinds.contains(words[index]) { index += 1 }
        guard index < words.count, let object = Object(rawValue: words[index].lowercased()) else {
            throw MigrationIssue(line: statement.line, .notASchemaStatement)
        }
        var name: String?
        if index + 1 < words.count {
            let token = statement.tokens[index + 1]
            if token.kind == .quotedName || (token.kind == .word && !["IF", "FOR", "ON"].contains(words[index + 1])) {
                name = token.name
            }
        }
        self.init(
            statement: statement.text,
            action: action,
            object: object,
            name: name,
            target: object == .index ? Self.target(statement.tokens, line: statement.line) : nil,
            line: statement.line
        )
    }

    /// Reads `FOR (v:Label) ON (v.a, v.b)` or `FOR ()-[r:TYPE]-() ON (r.a)`; nil when the statement
    /// has no such clause (a DROP by name).
    private static func target(_ tokens: [CypherToken], line: Int) -> IndexRequirement? {
        guard let forIndex = tokens.firstIndex(where: { $0.kind == .word && $0.name.uppercased() == "FOR" }),
            let onIndex = tokens[forIndex...].firstIndex(where: { $0.kind == .word && $0.name.uppercased() == "ON" })
        else { return nil }
        let pattern = tokens[forIndex..<onIndex]
        let isRelationship = pattern.contains { $0.kind == .symbol && $0.text == "[" }
        guard let colon = pattern.firstIndex(where: { $0.kind == .symbol && $0.text == ":" }),
            colon + 1 < onIndex, [.word, .quotedName].contains(tokens[colon + 1].kind)
        else { return nil }
        var properties: [String] = []
        var index = onIndex + 1
        while index + 1 < tokens.count, !(tokens[index].kind == .symbol && tokens[index].text == ")") {
            if tokens[index].kind == .symbol, tokens[index].text == ".",
                [.word, .quotedName].contains(tokens[index + 1].kind)
            {
                properties.append(tokens[index + 1].name)
            }
            index += 1
        }
        guard !properties.isEmpty else { return nil }
        return IndexRequirement(
            entity: isRelationship ? .relationship : .node,
            labelOrType: tokens[colon + 1].name,
            properties: properties,
            line: line
        )
    }
}
