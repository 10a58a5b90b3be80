/// A value bound once when a job is planned and passed to every batch as `$name`.
///
/// Time-dependent values (`date()` in a risk score) would otherwise differ between the first batch and
/// the last, and between a run and its resume: `// sluice:param asOf = date()` makes the engine run
/// `RETURN date() AS asOf` at planning, keep the value with the job, and send it with every statement
/// of that job (steps, verify, probe).
public struct MigrationParameter: Sendable, Hashable {
    /// Parameters the engine adds itself (the batch's ids, the job's token) start with this, so a
    /// migration's own parameter can never shadow one.
    public static let reservedPrefix = "sluice_"

    public let name: String
    /// A Cypher expression, evaluated by the server at planning.
    public let expression: String
    public let line: Int

    public init(name: String, expression: String, line: Int) {
        self.name = name
        self.expression = expression
        self.line = line
    }
}
