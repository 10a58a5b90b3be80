extension ItemPattern {
    /// Reads the pattern from tokens `range` of `statement` (what stands between MATCH and WHERE).
    init(_ statement: CypherStatement, range: Range<Int>) throws(MigrationIssue) {
        var reader = PatternReader(statement: statement, index: range.lowerBound, end: range.upperBound)
        let text = statement.text(range)
        let first = try reader.node()
        guard !reader.atEnd else {
            guard let variable = first.variable else {
                throw reader.issue("name the item: (p:\(first.labels.first ?? "Label"))")
            }
            guard !first.labels.isEmpty else {
                throw reader.issue("give the item a label to plan from: (\(variable):Label)")
            }
            self.init(
                text: text,
                kind: .node,
                variable: variable,
                labelsOrTypes: first.labels,
                boundVariables: [variable]
            )
            return
        }
        let relationship = try reader.relationship()
        let second = try reader.node()
        guard reader.atEnd else {
            throw reader.issue("expected one node (p:Label) or one relationship (a)-[r:TYPE]->(b), found more")
        }
        let bound = [first.variable, relationship.variable, second.variable].compactMap(\.self)
        if Set(bound).count != bound.count {
            throw reader.issue("each variable of the pattern must be different")
        }
        self.init(
            text: text,
            kind: .relationship,
            variable: relationship.variable,
            labelsOrTypes: [relationship.type],
            boundVariables: bound
        )
    }
}

/// Walks the tokens of an item pattern: `(v:Label)` or `(a:L)-[r:TYPE]->(b:L)`, nothing more.
private struct PatternReader {
    let statement: CypherStatement
    var index: Int
    let end: Int

    var atEnd: Bool { index >= end }

    private var token: CypherToken? { atEnd ? nil : statement.tokens[index] }

    func issue(_ reason: String) -> MigrationIssue {
        MigrationIssue(line: token?.line ?? statement.tokens[max(0, min(index, end) - 1)].line, .invalidPattern(reason))
    }

    private func isSymbol(_ symbol: String) -> Bool {
        token.map { $0.kind == .symbol && $0.text == symbol } ?? false
    }

    private mutating func expect(_ symbol: String, _ reason: String) throws(MigrationIssue) {
        guard isSymbol(symbol) else { throw issue(reason) }
        index += 1
    }

    /// A variable or label: a word or a back-quoted name. Variables keep their quoting, for the engine
    /// to write them back into Cypher; labels and types are unquoted.
    private mutating func name() -> CypherToken? {
        guard let token, token.kind == .word || token.kind == .quotedName else { return nil }
        index += 1
        return token
    }

    private func refuseUnsupported() throws(MigrationIssue) {
        if isSymbol("{") {
            throw issue("put property conditions in the WHERE predicate, which every batch checks again")
        }
        if isSymbol("|") || isSymbol("&") || isSymbol("!") || isSymbol("%") {
            throw issue("label and type expressions are not supported: one label list or one type")
        }
        if isSymbol("*") { throw issue("variable-length relationships are not items: match one relationship") }
    }

    mutating func node() throws(MigrationIssue) -> (variable: String?, labels: [String]) {
        try expect("(", "expected one node (p:Label) or one relationship (a)-[r:TYPE]->(b)")
        let variable = name().map { String($0.text) }
        var labels: [String] = []
        while isSymbol(":") {
            index += 1
            guard let label = name() else { throw issue("expected a label after ':'") }
            labels.append(label.name)
        }
        try refuseUnsupported()
        try expect(")", "expected ')' to close the node")
        return (variable, labels)
    }

    mutating func relationship() throws(MigrationIssue) -> (variable: String, type: String) {
        let incoming = isSymbol("<")
        if incoming { index += 1 }
        try expect("-", "expected one node (p:Label) or one relationship (a)-[r:TYPE]->(b)")
        try expect("[", "expected '[' and the relationship: (a)-[r:TYPE]->(b)")
        guard let variable = name() else { throw issue("name the relationship: -[r:TYPE]-") }
        try expect(":", "give the relationship a type to plan from: -[\(variable.text):TYPE]-")
        guard let type = name() else { throw issue("expected a relationship type after ':'") }
        try refuseUnsupported()
        try expect("]", "expected ']' to close the relationship")
        try expect("-", "expected '-' after the relationship")
        if isSymbol(">") {
            guard !incoming else { throw issue("a relationship has one direction: <-[r]- or -[r]->") }
            index += 1
        } else if !incoming {
            // Undirected, the pattern matches each relationship once from each end: planning would list
            // its id twice, and the change would be applied twice.
            throw issue(
                "an undirected relationship matches each relationship twice, once from each end: "
                    + "give the relationship a direction: -[\(variable.text):\(type.text)]->"
            )
        }
        return (String(variable.text), type.name)
    }
}
