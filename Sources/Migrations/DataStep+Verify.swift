extension DataStep {
    /// Whether `verify` passes exactly when no item qualifies for this step: it is
    /// `MATCH <pattern> WHERE <predicate> RETURN count(<variable>) = 0 AS ok` (or `count(*)`) with the step's own
    /// pattern and predicate, token for token (the clause keywords and `count` in any case, layout and comments free).
    ///
    /// The engine's catch-up re-plan looks for items that came to qualify while the job ran; such a query counts every
    /// one of them, so when it passes the re-plan has nothing to find, and on a server without an id seek (ArcadeDB) its
    /// scan of the label, a second one beside the verify query's, is saved. Anything else (another shape, a different
    /// label or predicate, a misspelling) is not recognised, and the job re-plans as before.
    public func isCountedToZero(by verify: MigrationQuery) -> Bool {
        guard let query = try? CypherLexer.tokens(of: verify.text, firstLine: 1),
            let pattern = try? CypherLexer.tokens(of: pattern.text, firstLine: 1),
            let predicate = try? CypherLexer.tokens(of: predicate, firstLine: 1),
            query.count == 1 + pattern.count + 1 + predicate.count + 9
        else { return false }
        let same = { (token: CypherToken, expected: CypherToken) in
            token.kind == expected.kind && token.text == expected.text
        }
        let predicateStart = 2 + pattern.count
        let tailStart = predicateStart + predicate.count
        guard zip(query[1..<(predicateStart - 1)], pattern).allSatisfy(same),
            zip(query[predicateStart..<tailStart], predicate).allSatisfy(same)
        else { return false }
        let words = query.map { String($0.text) }
        let tail = Array(words[tailStart...])
        // Keywords and function names in any case, as Cypher reads them.
        return words[0].uppercased() == "MATCH" && words[predicateStart - 1].uppercased() == "WHERE"
            && tail[0].uppercased() == "RETURN" && tail[1].uppercased() == "COUNT" && tail[2] == "("
            && (tail[3] == self.pattern.variable || tail[3] == "*") && tail[4] == ")" && tail[5] == "="
            && tail[6] == "0" && tail[7].uppercased() == "AS" && tail[8] == "ok"
    }
}
