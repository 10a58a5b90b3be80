/// Something wrong with a migration file, with the file and line to fix it at.
///
/// `description` is the one line `sluice check` prints: `migrations/007_x.cypher:12: reason`.
public struct MigrationError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The file's path as it was given (relative paths stay relative, for readable output).
    public let path: String
    /// The 1-based line, or nil when the problem is the file as a whole (its name, a duplicate version).
    public let line: Int?
    public let reason: Reason

    public init(path: String, line: Int?, reason: Reason) {
        self.path = path
        self.line = line
        self.reason = reason
    }

    public var description: String {
        line.map { "\(path):\($0): \(reason)" } ?? "\(path): \(reason)"
    }

    /// What is wrong, with what the author needs to fix it.
    public enum Reason: Error, Sendable, Hashable, CustomStringConvertible {
        // The file and the folder.
        case unreadable(String)
        case notUTF8
        case invalidFileName(String)
        case duplicateVersion(MigrationVersion, otherPath: String)

        // Directives.
        case unknownDirective(String)
        /// A comment starting with the word sluice that is not written `// sluice:<directive>`, with the
        /// directive it probably meant.
        case malformedDirective(String, suggestion: String?)
        case missingArgument(directive: String, expected: String)
        case unexpectedArgument(directive: String, argument: String)
        case duplicateDirective(String, firstLine: Int)
        case badNumber(directive: String, text: String)
        /// A `requires` name that is not a ``CypherFeature``: pre-flight could not probe it.
        case unknownFeature(String)
        case invalidParameter(String)
        case reservedParameter(String)
        case duplicateParameter(String, firstLine: Int)
        case invalidIndex(String)
        case textOutsideSection

        // Sections.
        case missingDescription
        case missingDirection(MigrationDirection.Kind)
        case missingVerify(MigrationDirection.Kind)
        case directionWithoutSteps(MigrationDirection.Kind)
        case emptySection(String)
        case malformedCypher(String)
        case multipleStatements
        case unbalancedSchemaSteps(up: Int, down: Int)
        /// A second `up data` or `down data`: a job plans and batches one set of items, so the engine
        /// would refuse the direction when it runs.
        case secondDataStep(MigrationDirection.Kind, firstLine: Int)

        // Steps and queries.
        case notASchemaStatement
        case dataStepWithoutMatch
        case invalidPattern(String)
        case dataStepWithoutPredicate
        case dataStepWithoutChange
        case changeReturns(String)
        case changeWritesNothing
        case queryWrites(section: String, keyword: String)
        case verifyWithoutOk
        case undeclaredParameter(String)
        case foreignBookkeeping(property: String, version: MigrationVersion)
        case bookkeepingWithoutFinalize(String)

        public var description: String {
            switch self {
            case .unreadable(let reason):
                return "cannot read: \(reason)"
            case .notUTF8:
                return "not UTF-8 text"
            case .invalidFileName(let name):
                return "'\(name)' is not a migration file name: expected NNN_snake_name.cypher "
                    + "(a version number, '_', lower-case words joined by '_')"
            case .duplicateVersion(let version, let otherPath):
                return "version \(version) is also used by \(otherPath): each version must be unique"
            case .unknownDirective(let name):
                return "unknown directive 'sluice:\(name)' (expected description, requires, max_items, batch_size, "
                    + "param, uses_index, probe, up, down or finalize)"
            case .malformedDirective(let text, let suggestion):
                let fix =
                    suggestion.map { "did you mean '\($0)'?" }
                    ?? "write '// sluice:<directive>' (lower case, a colon, no space after it) "
                    + "or start the comment with another word"
                return "'// \(text)' is read as a directive but is not one: \(fix)"
            case .missingArgument(let directive, let expected):
                return "'sluice:\(directive)' needs \(expected)"
            case .unexpectedArgument(let directive, let argument):
                return "'sluice:\(directive)' takes nothing after it, found '\(argument)'"
            case .duplicateDirective(let directive, let firstLine):
                return "'sluice:\(directive)' appears twice (first on line \(firstLine))"
            case .badNumber(let directive, let text):
                return "'sluice:\(directive)' needs a whole number greater than zero, in digits with at most single "
                    + "'_' between them (10_000), found '\(text)'"
            case .unknownFeature(let name):
                let known = CypherFeature.allCases.map { "'\($0.rawValue)'" }.joined(separator: ", ")
                return "'sluice:requires' names '\(name)', a feature pre-flight cannot probe: expected one of "
                    + "\(known) (case matters)"
            case .invalidParameter(let text):
                if text.hasPrefix("$") {
                    // The name as the queries use it: the declaration names it without the `$`.
                    return "'sluice:param \(text)': write the name without its $ (`param asOf = date()`, used as $asOf)"
                }
                return "'sluice:param \(text)': expected NAME = EXPRESSION, NAME a Cypher identifier"
            case .reservedParameter(let name):
                return "parameter name '\(name)' is reserved: names starting with "
                    + "'\(MigrationParameter.reservedPrefix)' belong to the engine"
            case .duplicateParameter(let name, let firstLine):
                return "parameter '\(name)' is declared twice (first on line \(firstLine))"
            case .invalidIndex(let text):
                return "'sluice:uses_index \(text)': expected :Label(property, ...) or [:TYPE](property, ...)"
            case .textOutsideSection:
                return "Cypher outside a section: put it below a '// sluice:up ...', '// sluice:down ...' "
                    + "or other section line, or make it a // comment"
            case .missingDescription:
                return "no '// sluice:description': say what the migration changes and why"
            case .missingDirection(let kind):
                return "no '// sluice:\(kind) ...' section: every migration has an up and a down"
            case .missingVerify(let kind):
                return "no '// sluice:\(kind) verify' query: a job succeeds only when its verify query passes"
            case .directionWithoutSteps(let kind):
                return "'\(kind)' has no schema or data step"
            case .emptySection(let section):
                return "'sluice:\(section)' is empty: no Cypher below it (// comment lines do not count)"
            case .malformedCypher(let reason):
                return "malformed Cypher: \(reason)"
            case .multipleStatements:
                return "one statement per section: split it into steps (a ';' may only end the statement)"
            case .unbalancedSchemaSteps(let up, let down):
                return "up has \(up) schema step(s) but down has \(down): every schema step needs its own down"
            case .secondDataStep(let kind, let firstLine):
                return "a second '\(kind) data' step (the first is on line \(firstLine)): a job plans one set of "
                    + "items, so \(kind) has one data step; move this change to a migration of its own"
            case .notASchemaStatement:
                return "a schema step is one CREATE or DROP of an INDEX or CONSTRAINT"
            case .dataStepWithoutMatch:
                return "a data step starts with MATCH and the one node or relationship it changes: MATCH (p:Project)"
            case .invalidPattern(let reason):
                return "invalid item pattern: \(reason)"
            case .dataStepWithoutPredicate:
                return "a data step needs a WHERE predicate after its MATCH: it selects the items and is checked "
                    + "again for each item in every batch"
            case .dataStepWithoutChange:
                return "a data step needs a change after its WHERE predicate (SET, REMOVE, CREATE, MERGE, DELETE...)"
            case .changeReturns(let keyword):
                return "a data step's change may not use \(keyword): the engine runs it once per item and counts "
                    + "the items itself"
            case .changeWritesNothing:
                return "a data step's change writes nothing: expected SET, REMOVE, CREATE, MERGE, DELETE, "
                    + "FOREACH or CALL"
            case .queryWrites(let section, let keyword):
                return "the \(section) query must only read, found \(keyword)"
            case .verifyWithoutOk:
                return "a verify query returns a boolean column named ok (RETURN count(p) = 0 AS ok)"
            case .undeclaredParameter(let name):
                return "$\(name) is not declared: add '// sluice:param \(name) = EXPRESSION'"
            case .foreignBookkeeping(let property, let version):
                return "'\(property)' is another migration's bookkeeping: this one's properties start with "
                    + "\(MigrationFile.bookkeepingPrefix(for: version))"
            case .bookkeepingWithoutFinalize(let property):
                return "'\(property)' is kept for down but no '// sluice:finalize data' step removes it"
            }
        }
    }
}
