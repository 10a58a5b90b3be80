/// One direction of a migration: its ordered steps and the query that says whether it worked.
public struct MigrationDirection: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// The change itself.
        case up
        /// Undoes exactly what `up` did, from what `up` kept for it.
        case down
        /// Removes what `up` kept for `down` (`sluice finalize`), once the change is there to stay.
        case finalize

        public var description: String { rawValue }
    }

    public let kind: Kind
    public let steps: [MigrationStep]
    /// Run after the last batch; it returns one row whose `ok` column is true when the direction's
    /// outcome holds (other columns are shown to the operator). Always present for `up` and `down`,
    /// optional for `finalize`.
    public let verify: MigrationQuery?

    public init(kind: Kind, steps: [MigrationStep], verify: MigrationQuery?) {
        self.kind = kind
        self.steps = steps
        self.verify = verify
    }

    public var dataSteps: [DataStep] {
        steps.compactMap { if case .data(let step) = $0 { step } else { nil } }
    }

    public var schemaSteps: [SchemaStep] {
        steps.compactMap { if case .schema(let step) = $0 { step } else { nil } }
    }
}
