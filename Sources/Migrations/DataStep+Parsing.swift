extension DataStep {
    /// Takes `MATCH <pattern> WHERE <predicate> <change>` apart, refusing what the engine could not batch.
    init(_ statement: CypherStatement) throws(MigrationIssue) {
        let tokens = statement.tokens
        guard statement.clauseKeyword(at: 0) == "MATCH" else {
            throw MigrationIssue(line: statement.line, .dataStepWithoutMatch)
        }
        guard let whereIndex = statement.firstClause(from: 1), statement.clauseKeyword(at: whereIndex) == "WHERE" else {
            throw MigrationIssue(line: statement.line, .dataStepWithoutPredicate)
        }
        if let comma = (1..<whereIndex).first(where: { tokens[$0].depth == 0 && tokens[$0].text == "," }) {
            throw MigrationIssue(line: tokens[comma].line, .invalidPattern("one pattern per data step, found a ','"))
        }
        let pattern = try ItemPattern(statement, range: 1..<whereIndex)
        let changeIndex = statement.firstClause(from: whereIndex + 1) ?? tokens.count
        guard changeIndex > whereIndex + 1 else {
            throw MigrationIssue(line: tokens[whereIndex].line, .dataStepWithoutPredicate)
        }
        guard changeIndex < tokens.count else {
            throw MigrationIssue(line: tokens[whereIndex].line, .dataStepWithoutChange)
        }
        for index in changeIndex..<tokens.count {
            if let keyword = statement.clauseKeyword(at: index), ["RETURN", "UNION", "SKIP", "LIMIT"].contains(keyword)
            {
                throw MigrationIssue(line: tokens[index].line, .changeReturns(keyword))
            }
        }
        let writes = (changeIndex..<tokens.count).contains { index in
            guard let keyword = statement.clauseKeyword(at: index) else { return false }
            return CypherStatement.writingKeywords.contains(keyword) || keyword == "CALL"
        }
        guard writes else { throw MigrationIssue(line: tokens[changeIndex].line, .changeWritesNothing) }
        self.init(
            statement: statement.text,
            pattern: pattern,
            predicate: statement.text((whereIndex + 1)..<changeIndex),
            change: statement.text(changeIndex..<tokens.count),
            line: statement.line
        )
    }
}
