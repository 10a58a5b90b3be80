/// The state of reading one migration file: what its lines declared so far, and every problem found.
struct MigrationFileReader {
    private struct SectionText {
        var section: MigrationDirective.Section
        var line: Int
        var body: [Substring] = []
    }

    let path: String
    private(set) var errors: [MigrationError] = []

    private var description: [String] = []
    private var describing = false
    private var firstLines: [String: Int] = [:]
    private var requires: [String] = []
    private var options = MigrationOptions()
    private var parameters: [MigrationParameter] = []
    private var indexes: [IndexRequirement] = []
    private var sections: [SectionText] = []
    /// Every section's Cypher that lexed, for the checks across sections.
    private var statements: [(section: MigrationDirective.Section, statement: CypherStatement)] = []

    init(path: String) {
        self.path = path
    }

    /// The features the file's Cypher uses: required as if a `requires` line named them.
    private var usedFeatures: Set<CypherFeature> {
        statements.reduce(into: []) { $0.formUnion($1.statement.features) }
    }

    /// The migration, or nil with ``errors`` saying why not.
    mutating func read(_ bytes: [UInt8]) -> MigrationFile? {
        let fileName = String(path.split(separator: "/").last ?? "")
        var name: MigrationFileName?
        do {
            name = try MigrationFileName(parsing: fileName)
        } catch {
            report(nil, error)
        }
        guard var text = String(validating: bytes, as: UTF8.self) else {
            report(nil, .notUTF8)
            return nil
        }
        if text.hasPrefix("\u{FEFF}") { text.removeFirst() }
        readLines(of: text)
        let directions = readSections()
        if let name { checkNames(version: name.version) }
        guard let name, errors.isEmpty, let up = directions[.up], let down = directions[.down] else { return nil }
        return MigrationFile(
            version: name.version,
            name: name.name,
            path: path,
            checksum: SHA256.hex(of: bytes),
            description: description.joined(separator: " "),
            up: up,
            down: down,
            finalize: directions[.finalize],
            options: options,
            parameters: parameters,
            requires: requires + usedFeatures.map(\.rawValue).filter { !requires.contains($0) }.sorted(),
            indexes: indexes
        )
    }

    private mutating func report(_ line: Int?, _ reason: MigrationError.Reason) {
        errors.append(MigrationError(path: path, line: line, reason: reason))
    }

    private mutating func report(_ issue: MigrationIssue) {
        report(issue.line, issue.reason)
    }

    // MARK: Lines

    /// Sorts the lines into directives, section bodies and free comments.
    private mutating func readLines(of text: String) {
        // "\r\n" is one Character in Swift: split on it too, so CRLF files read like LF ones.
        let lines = text.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        var inSection = false
        var discarding = false
        var reportedOutside = false
        for (offset, line) in lines.enumerated() {
            let number = offset + 1
            if let comment = MigrationDirective.directiveComment(of: line) {
                describing = false
                reportedOutside = false
                do {
                    inSection = try apply(MigrationDirective(comment: comment, line: number), line: number)
                    discarding = false
                } catch {
                    report(error)
                    inSection = false
                    discarding = true
                }
                continue
            }
            if inSection {
                sections[sections.count - 1].body.append(line)
                continue
            }
            let trimmed = line.trimmingWhitespace
            if discarding || trimmed.isEmpty || trimmed.hasPrefix("//") {
                let comment = trimmed.hasPrefix("//") ? trimmed.dropFirst(2).trimmingWhitespace : ""
                if describing, !comment.isEmpty {
                    description.append(comment)
                } else {
                    describing = false
                }
                reportedOutside = false
                continue
            }
            describing = false
            if !reportedOutside {
                report(number, .textOutsideSection)
                reportedOutside = true
            }
        }
    }

    /// Records a directive; returns whether the lines below belong to it. Throws for a directive that
    /// may appear once and appeared before, so that its body is skipped.
    private mutating func apply(_ directive: MigrationDirective, line: Int) throws(MigrationIssue) -> Bool {
        /// `refusal` says why, given the first line, when the default "appears twice" does not.
        func once(_ key: String, refusal: ((Int) -> MigrationError.Reason)? = nil) throws(MigrationIssue) {
            if let first = firstLines[key] {
                throw MigrationIssue(line: line, refusal?(first) ?? .duplicateDirective(key, firstLine: first))
            }
            firstLines[key] = line
        }
        switch directive {
        case .description(let text):
            try once("description")
            description = [text]
            describing = true
        case .requires(let features):
            try once("requires")
            requires = features
        case .maxItems(let value):
            try once("max_items")
            options.maxItems = value
        case .batchSize(let value):
            try once("batch_size")
            options.batchSize = value
        case .parameter(let name, let expression):
            if let first = parameters.first(where: { $0.name == name }) {
                throw MigrationIssue(line: line, .duplicateParameter(name, firstLine: first.line))
            }
            parameters.append(MigrationParameter(name: name, expression: expression, line: line))
        case .usesIndex(let index):
            indexes.append(index)
        case .section(let section):
            switch section {
            case .probe, .verify: try once(section.description)
            case .data(let kind) where kind != .finalize:
                try once(section.description) { .secondDataStep(kind, firstLine: $0) }
            case .schema, .data: break
            }
            sections.append(SectionText(section: section, line: line))
            return true
        }
        return false
    }

    // MARK: Sections

    /// Reads every section's Cypher into steps and queries, and checks what each direction must have.
    private mutating func readSections() -> [MigrationDirection.Kind: MigrationDirection] {
        var steps: [MigrationDirection.Kind: [MigrationStep]] = [:]
        var verify: [MigrationDirection.Kind: MigrationQuery] = [:]
        var firstLine: [MigrationDirection.Kind: Int] = [:]
        var stepSections: [MigrationDirection.Kind: Int] = [:]
        var schemaSections: [MigrationDirection.Kind: [Int]] = [:]
        for section in sections {
            if let kind = section.section.direction {
                firstLine[kind] = firstLine[kind] ?? section.line
                if section.section.isStep { stepSections[kind, default: 0] += 1 }
                if case .schema = section.section { schemaSections[kind, default: []].append(section.line) }
            }
            do {
                let statement = try CypherStatement(
                    source: section.body.joined(separator: "\n"),
                    firstLine: section.line + 1,
                    section: section.section.description,
                    sectionLine: section.line
                )
                statements.append((section.section, statement))
                switch section.section {
                case .probe:
                    try Self.checkReadOnly(statement, section: "probe")
                    options.probe = MigrationQuery(text: statement.text, line: statement.line)
                case .schema(let kind):
                    steps[kind, default: []].append(.schema(try SchemaStep(statement)))
                case .data(let kind):
                    steps[kind, default: []].append(.data(try DataStep(statement)))
                case .verify(let kind):
                    try Self.checkReadOnly(statement, section: "\(kind) verify")
                    try Self.checkReturnsOk(statement)
                    verify[kind] = MigrationQuery(text: statement.text, line: statement.line)
                }
            } catch {
                report(error)
            }
        }
        if firstLines["description"] == nil { report(1, .missingDescription) }
        var directions: [MigrationDirection.Kind: MigrationDirection] = [:]
        for kind in MigrationDirection.Kind.allCases {
            guard let line = firstLine[kind] else {
                if kind != .finalize { report(nil, .missingDirection(kind)) }
                continue
            }
            if stepSections[kind] == nil { report(line, .directionWithoutSteps(kind)) }
            if kind != .finalize, verify[kind] == nil, firstLines["\(kind) verify"] == nil {
                report(line, .missingVerify(kind))
            }
            directions[kind] = MigrationDirection(kind: kind, steps: steps[kind] ?? [], verify: verify[kind])
        }
        // Counted by section, so that a schema step that failed to parse does not also unbalance them.
        let upSchema = schemaSections[.up] ?? []
        let downSchema = schemaSections[.down] ?? []
        if upSchema.count != downSchema.count {
            report(
                (upSchema.first ?? downSchema.first),
                .unbalancedSchemaSteps(up: upSchema.count, down: downSchema.count)
            )
        }
        return directions
    }

    private static func checkReadOnly(_ statement: CypherStatement, section: String) throws(MigrationIssue) {
        if let keyword = statement.firstWritingKeyword() {
            throw MigrationIssue(line: statement.line, .queryWrites(section: section, keyword: keyword))
        }
    }

    /// The last RETURN must name a column `ok`.
    private static func checkReturnsOk(_ statement: CypherStatement) throws(MigrationIssue) {
        let tokens = statement.tokens
        guard let returnIndex = tokens.indices.last(where: { statement.clauseKeyword(at: $0) == "RETURN" }) else {
            throw MigrationIssue(line: statement.line, .verifyWithoutOk)
        }
        let namesOk = (returnIndex..<(tokens.count - 1)).contains { index in
            tokens[index].depth == 0 && statement.isKeyword("AS", at: index) && tokens[index + 1].name == "ok"
        }
        guard namesOk else { throw MigrationIssue(line: tokens[returnIndex].line, .verifyWithoutOk) }
    }

    // MARK: Names

    /// Every `$parameter` is declared; bookkeeping properties belong to this migration and are removed
    /// by `finalize`.
    private mutating func checkNames(version: MigrationVersion) {
        let declared = Set(parameters.map(\.name))
        let prefix = MigrationFile.bookkeepingNamespace
        var keptForDown: CypherToken?
        var finalized = false
        for (section, statement) in statements {
            for parameter in statement.parameters where !declared.contains(parameter.name) {
                report(parameter.line, .undeclaredParameter(parameter.name))
            }
            for token in statement.names(startingWith: prefix) {
                let digits = token.name.dropFirst(prefix.count).prefix { $0.isASCII && $0.isNumber }
                guard MigrationVersion(digits) == version else {
                    report(token.line, .foreignBookkeeping(property: token.name, version: version))
                    continue
                }
                switch section {
                case .data(.finalize): finalized = true
                case .data(.up), .data(.down): keptForDown = keptForDown ?? token
                default: break
                }
            }
        }
        if let keptForDown, !finalized {
            report(keptForDown.line, .bookkeepingWithoutFinalize(keptForDown.name))
        }
    }
}
