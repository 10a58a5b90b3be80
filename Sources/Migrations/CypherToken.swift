/// One token of a Cypher text, as far as sluice needs to split a migration's Cypher into its parts.
///
/// sluice does not parse Cypher: the server does. It only needs to find clause keywords that are not
/// inside brackets, strings or comments, and the names and parameters a text uses.
struct CypherToken: Equatable {
    enum Kind: Equatable {
        /// An identifier or keyword: `MATCH`, `p`, `toLower`.
        case word
        /// A back-quoted name: `` `Work Hour` ``; ``name`` holds it unquoted.
        case quotedName
        /// A string literal, quotes included.
        case string
        case number
        /// `$name`; ``name`` holds the name without the dollar sign.
        case parameter
        /// One character of punctuation or an operator: `(`, `.`, `-`, `>`.
        case symbol
    }

    var kind: Kind
    /// The token as written.
    var text: Substring
    /// A name without its quoting: the word itself, a back-quoted name unquoted, a parameter without `$`.
    var name: String
    /// The 1-based line in the migration file where the token starts.
    var line: Int
    /// How many brackets (`(`, `[`, `{`) enclose the token; an opening bracket counts outside itself.
    var depth: Int

    /// Whether this is `keyword` (case-insensitive) used as a keyword: a word not written as a property
    /// (`p.set`), a label (`:Create`) or a map key (`{match: 1}`).
    func isKeyword(_ keyword: String, after previous: CypherToken?, before next: CypherToken?) -> Bool {
        guard kind == .word, name.uppercased() == keyword else { return false }
        if let previous, previous.kind == .symbol, [".", ":", "$"].contains(previous.text) { return false }
        if let next, next.kind == .symbol, next.text == ":" { return false }
        return true
    }
}
