/// Reads the part of TOML 1.0 a configuration file needs, and refuses the rest by line rather than guessing.
///
/// Understood: `#` comments; `[table]` headers with bare names; `key = value` with bare keys
/// (`A-Z a-z 0-9 _ -`); basic strings (`"..."` with `\" \\ \n \t \r \uXXXX \UXXXXXXXX`), literal strings
/// (`'...'`); integers (`+`/`-`, `_` between digits); floats (`1.5`, `1e3`); `true`/`false`; arrays of those,
/// over several lines, with a trailing comma allowed. Not understood, and refused with the line: dotted or quoted
/// keys, inline tables, arrays of tables, multi-line strings, dates and times (sluice writes durations as
/// strings: `"30s"`). A key or table given twice is an error, as TOML requires.
///
/// Hand-written rather than a C++ TOML library: it adds nothing to the cold build, and every value keeps its
/// line, so configuration errors can name file, line and key.
struct TOMLParser {
    private let scalars: [Unicode.Scalar]
    private var index = 0
    private var line = 1

    /// A CRLF line end (a file written on Windows) is read as LF, so it is accepted wherever a line may end; a lone
    /// CR stays, and is refused where it stands.
    init(_ text: String) {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            if scalar == "\n", scalars.last == "\r" { scalars.removeLast() }
            scalars.append(scalar)
        }
        self.scalars = scalars
    }

    mutating func parse() throws(TOMLError) -> TOMLDocument {
        var document = TOMLDocument()
        var table = ""
        while true {
            skipBlank()
            guard let scalar = peek() else { break }
            if scalar == "\n" {
                advance()
                continue
            }
            if scalar == "#" {
                skipComment()
                continue
            }
            if scalar == "[" {
                let headerLine = line
                advance()
                if peek() == "[" { throw error("arrays of tables ([[...]]) are not supported") }
                skipBlank()
                let name = try bareKey(what: "table name")
                skipBlank()
                if peek() == "." { throw error("dotted table names are not supported") }
                guard peek() == "]" else { throw error("expected ']' after table name '\(name)'") }
                advance()
                try endOfLine()
                if let first = document.tableLines[name] {
                    throw TOMLError(line: headerLine, reason: "table [\(name)] defined twice (first on line \(first))")
                }
                document.tableLines[name] = headerLine
                document.tables[name, default: [:]] = [:]
                table = name
                continue
            }
            let keyLine = line
            let key = try bareKey(what: "key")
            skipBlank()
            if peek() == "." { throw error("dotted keys are not supported: write [table] and then the key") }
            guard peek() == "=" else { throw error("expected '=' after key '\(key)'") }
            advance()
            skipBlank()
            let value = try parseValue()
            try endOfLine()
            if let first = document.tables[table]?[key] {
                throw TOMLError(line: keyLine, reason: "key '\(key)' defined twice (first on line \(first.line))")
            }
            document.tables[table, default: [:]][key] = TOMLEntry(value: value, line: keyLine)
        }
        return document
    }

    // MARK: Values

    private mutating func parseValue() throws(TOMLError) -> TOMLValue {
        guard let scalar = peek() else { throw error("expected a value at the end of the file") }
        switch scalar {
        case "\"":
            if lookahead("\"\"\"") { throw error("multi-line strings are not supported") }
            return .string(try basicString())
        case "'":
            if lookahead("'''") { throw error("multi-line strings are not supported") }
            return .string(try literalString())
        case "[":
            return try array()
        case "{":
            throw error("inline tables are not supported")
        case "t", "f":
            let word = take(while: { $0.properties.isAlphabetic })
            switch word {
            case "true": return .boolean(true)
            case "false": return .boolean(false)
            default: throw error("unexpected '\(word)': strings need quotes")
            }
        case "+", "-", "0"..."9", "i", "n":
            return try number()
        default:
            throw error("unexpected '\(scalar)': expected a value (strings need quotes)")
        }
    }

    private mutating func basicString() throws(TOMLError) -> String {
        advance()
        var text = String.UnicodeScalarView()
        while let scalar = peek() {
            advance()
            switch scalar {
            case "\"":
                return String(text)
            case "\n":
                throw error("unterminated string", line: line - 1)
            case "\\":
                guard let escaped = peek() else { break }
                advance()
                switch escaped {
                case "\"": text.append("\"")
                case "\\": text.append("\\")
                case "n": text.append("\n")
                case "t": text.append("\t")
                case "r": text.append("\r")
                case "b": text.append("\u{08}")
                case "f": text.append("\u{0C}")
                case "e": text.append("\u{1B}")
                case "u", "U":
                    let digits = take(count: escaped == "u" ? 4 : 8)
                    guard let value = UInt32(digits, radix: 16), let unicode = Unicode.Scalar(value) else {
                        throw error("invalid unicode escape '\\\(escaped)\(digits)'")
                    }
                    text.append(unicode)
                default:
                    throw error("invalid escape '\\\(escaped)' in a string")
                }
            default:
                text.append(scalar)
            }
        }
        throw error("unterminated string")
    }

    private mutating func literalString() throws(TOMLError) -> String {
        advance()
        var text = String.UnicodeScalarView()
        while let scalar = peek() {
            advance()
            if scalar == "'" { return String(text) }
            if scalar == "\n" { throw error("unterminated string", line: line - 1) }
            text.append(scalar)
        }
        throw error("unterminated string")
    }

    private mutating func array() throws(TOMLError) -> TOMLValue {
        let start = line
        advance()
        var values: [TOMLValue] = []
        while true {
            skipWhitespaceCommentsAndNewlines()
            guard let scalar = peek() else { throw TOMLError(line: start, reason: "unterminated array") }
            if scalar == "]" {
                advance()
                return .array(values)
            }
            values.append(try parseValue())
            skipWhitespaceCommentsAndNewlines()
            if peek() == nil { throw TOMLError(line: start, reason: "unterminated array") }
            if peek() == "," {
                advance()
            } else if peek() != "]" {
                throw error("expected ',' or ']' in an array")
            }
        }
    }

    private mutating func number() throws(TOMLError) -> TOMLValue {
        let text = take(while: { !$0.properties.isWhitespace && $0 != "," && $0 != "]" && $0 != "#" && $0 != "\n" })
        if text.contains(":") || (text.filter { $0 == "-" }.count > 1 && !text.contains("e")) {
            throw error("dates and times are not supported: write durations as strings (\"30s\")")
        }
        let digits = try withoutUnderscores(text)
        if let value = Int64(digits.hasPrefix("+") ? String(digits.dropFirst()) : digits) {
            return .integer(value)
        }
        if let value = Double(digits), value.isFinite, digits.contains(where: { $0 == "." || $0 == "e" || $0 == "E" }) {
            return .float(value)
        }
        throw error("invalid number '\(text)'")
    }

    /// TOML allows `_` only between two digits.
    private func withoutUnderscores(_ text: String) throws(TOMLError) -> String {
        let characters = Array(text)
        for (offset, character) in characters.enumerated() where character == "_" {
            let before = offset > 0 ? characters[offset - 1] : " "
            let after = offset + 1 < characters.count ? characters[offset + 1] : " "
            guard before.isNumber, after.isNumber else { throw error("invalid number '\(text)'") }
        }
        return text.replacingUnderscores()
    }

    // MARK: Lexing

    private mutating func bareKey(what: String) throws(TOMLError) -> String {
        if peek() == "\"" || peek() == "'" { throw error("quoted \(what)s are not supported") }
        let key = take(while: { Self.isBareKeyScalar($0) })
        guard !key.isEmpty else {
            throw error("expected a \(what) (letters, digits, '_' or '-')" + (peek().map { ", found '\($0)'" } ?? ""))
        }
        return key
    }

    private static func isBareKeyScalar(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "A"..."Z", "a"..."z", "0"..."9", "_", "-": true
        default: false
        }
    }

    /// After a value or header only blanks and a comment may follow on the line.
    private mutating func endOfLine() throws(TOMLError) {
        skipBlank()
        guard let scalar = peek() else { return }
        if scalar == "#" {
            skipComment()
            return
        }
        guard peek() == "\n" else { throw error("unexpected '\(peek()!)' after the value: one key per line") }
        advance()
    }

    private mutating func skipBlank() {
        while let scalar = peek(), scalar == " " || scalar == "\t" { advance() }
    }

    private mutating func skipComment() {
        while let scalar = peek(), scalar != "\n" { advance() }
    }

    private mutating func skipWhitespaceCommentsAndNewlines() {
        while let scalar = peek() {
            if scalar == " " || scalar == "\t" || scalar == "\n" {
                advance()
            } else if scalar == "#" {
                skipComment()
            } else {
                return
            }
        }
    }

    private func peek() -> Unicode.Scalar? {
        index < scalars.count ? scalars[index] : nil
    }

    private func lookahead(_ text: String) -> Bool {
        let wanted = Array(text.unicodeScalars)
        guard index + wanted.count <= scalars.count else { return false }
        return Array(scalars[index..<index + wanted.count]) == wanted
    }

    private mutating func advance() {
        if scalars[index] == "\n" { line += 1 }
        index += 1
    }

    private mutating func take(while predicate: (Unicode.Scalar) -> Bool) -> String {
        var text = String.UnicodeScalarView()
        while let scalar = peek(), predicate(scalar) {
            text.append(scalar)
            advance()
        }
        return String(text)
    }

    private mutating func take(count: Int) -> String {
        var text = String.UnicodeScalarView()
        for _ in 0..<count {
            guard let scalar = peek(), scalar != "\n" else { break }
            text.append(scalar)
            advance()
        }
        return String(text)
    }

    private func error(_ reason: String, line: Int? = nil) -> TOMLError {
        TOMLError(line: line ?? self.line, reason: reason)
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(unicodeScalars.filter { $0 != "_" })
    }
}
