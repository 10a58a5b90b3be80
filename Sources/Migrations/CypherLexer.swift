/// Splits Cypher text into ``CypherToken``s, skipping whitespace and comments.
///
/// Strings, back-quoted names and comments are recognised so that a keyword inside them is not taken
/// for a clause; brackets are counted so that a clause keyword inside `EXISTS { ... }` or a list
/// comprehension is not either. Unclosed strings, comments and brackets are errors: the text would
/// not run anyway, and the line given helps the author more than the server's message later.
struct CypherLexer {
    struct Failure: Error, Equatable {
        var line: Int
        var reason: String
    }

    private let text: String
    private let scalars: String.UnicodeScalarView
    private var index: String.Index
    private var line: Int
    private var depth = 0
    private var openBrackets: [(bracket: Unicode.Scalar, line: Int)] = []

    /// Tokens of `text`, whose first line is line `firstLine` of the migration file.
    static func tokens(of text: String, firstLine: Int) throws(Failure) -> [CypherToken] {
        var lexer = CypherLexer(text: text, firstLine: firstLine)
        return try lexer.all()
    }

    private init(text: String, firstLine: Int) {
        self.text = text
        scalars = text.unicodeScalars
        index = scalars.startIndex
        line = firstLine
    }

    private mutating func all() throws(Failure) -> [CypherToken] {
        var tokens: [CypherToken] = []
        while let token = try next() {
            tokens.append(token)
        }
        if let open = openBrackets.last {
            throw Failure(line: open.line, reason: "'\(open.bracket)' is never closed")
        }
        return tokens
    }

    private var current: Unicode.Scalar? { index < scalars.endIndex ? scalars[index] : nil }

    private var following: Unicode.Scalar? {
        guard index < scalars.endIndex else { return nil }
        let next = scalars.index(after: index)
        return next < scalars.endIndex ? scalars[next] : nil
    }

    private mutating func advance() {
        if current == "\n" { line += 1 }
        index = scalars.index(after: index)
    }

    private mutating func next() throws(Failure) -> CypherToken? {
        try skipSpaceAndComments()
        guard let scalar = current else { return nil }
        let start = index
        let startLine = line
        let startDepth = depth
        var name: String?
        let kind: CypherToken.Kind
        switch scalar {
        case "'", "\"":
            try skipQuoted(by: scalar, what: "string")
            kind = .string
        case "`":
            name = try quotedName()
            kind = .quotedName
        case "$":
            advance()
            if current == "`" {
                name = try quotedName()
            } else {
                let nameStart = index
                while let next = current, Self.isIdentifierPart(next) { advance() }
                name = String(text[nameStart..<index])
            }
            kind = .parameter
        case _ where Self.isIdentifierStart(scalar):
            while let next = current, Self.isIdentifierPart(next) { advance() }
            kind = .word
        case _ where Self.isDigit(scalar):
            while let next = current, Self.isIdentifierPart(next) || (next == "." && Self.isDigit(following)) {
                advance()
            }
            kind = .number
        default:
            try trackBrackets(scalar)
            advance()
            kind = .symbol
        }
        let text = self.text[start..<index]
        return CypherToken(
            kind: kind,
            text: text,
            name: name ?? String(text),
            line: startLine,
            depth: min(startDepth, depth)
        )
    }

    private mutating func skipSpaceAndComments() throws(Failure) {
        while let scalar = current {
            if scalar.properties.isWhitespace {
                advance()
            } else if scalar == "/", following == "/" {
                while let next = current, next != "\n" { advance() }
            } else if scalar == "/", following == "*" {
                let startLine = line
                advance()
                advance()
                while current != nil, !(current == "*" && following == "/") { advance() }
                guard current != nil else { throw Failure(line: startLine, reason: "a /* comment is never closed") }
                advance()
                advance()
            } else {
                return
            }
        }
    }

    private mutating func skipQuoted(by quote: Unicode.Scalar, what: String) throws(Failure) {
        let startLine = line
        advance()
        while let scalar = current {
            advance()
            if scalar == "\\", current != nil {
                advance()
            } else if scalar == quote {
                return
            }
        }
        throw Failure(line: startLine, reason: "a \(what) opened with \(quote) is never closed")
    }

    /// A back-quoted name, unquoted; a doubled back quote stands for one.
    private mutating func quotedName() throws(Failure) -> String {
        let startLine = line
        advance()
        var name = ""
        while let scalar = current {
            advance()
            if scalar == "`" {
                guard current == "`" else { return name }
                advance()
            }
            name.unicodeScalars.append(scalar)
        }
        throw Failure(line: startLine, reason: "a name opened with ` is never closed")
    }

    private mutating func trackBrackets(_ scalar: Unicode.Scalar) throws(Failure) {
        let pairs: [Unicode.Scalar: Unicode.Scalar] = [")": "(", "]": "[", "}": "{"]
        if scalar == "(" || scalar == "[" || scalar == "{" {
            openBrackets.append((scalar, line))
            depth += 1
        } else if let opening = pairs[scalar] {
            guard let open = openBrackets.popLast() else {
                throw Failure(line: line, reason: "'\(scalar)' closes nothing")
            }
            guard open.bracket == opening else {
                throw Failure(
                    line: line,
                    reason: "'\(scalar)' does not close the '\(open.bracket)' of line \(open.line)"
                )
            }
            depth -= 1
        }
    }

    private static func isIdentifierStart(_ scalar: Unicode.Scalar) -> Bool {
        scalar == "_" || scalar.properties.isAlphabetic
    }

    private static func isIdentifierPart(_ scalar: Unicode.Scalar) -> Bool {
        isIdentifierStart(scalar) || isDigit(scalar)
    }

    private static func isDigit(_ scalar: Unicode.Scalar?) -> Bool {
        guard let scalar else { return false }
        return ("0"..."9").contains(scalar)
    }
}
