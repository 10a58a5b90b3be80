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
        self.init(statement: statement.text, action: action, object: object, name: name, line: statement.line)
    }
}
