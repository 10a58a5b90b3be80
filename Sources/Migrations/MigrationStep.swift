/// One step of a direction, run in the order the file lists them.
public enum MigrationStep: Sendable, Hashable {
    case schema(SchemaStep)
    case data(DataStep)

    /// The 1-based line where the step's statement starts.
    public var line: Int {
        switch self {
        case .schema(let step): step.line
        case .data(let step): step.line
        }
    }

    /// `schema` or `data`, as the section line names it.
    public var kindName: String {
        switch self {
        case .schema: "schema"
        case .data: "data"
        }
    }
}
