/// A Cypher feature beyond the common core that a `requires` line may name; pre-flight probes each one
/// on the server before the first write. The names live here, not in the engine, so that the parser
/// refuses a name pre-flight could not probe (`duration.indays`) instead of the probe being skipped.
public enum CypherFeature: String, Sendable, Hashable, CaseIterable {
    case typePredicate = "IS ::"
    case durationInDays = "duration.inDays"
    case datetime = "datetime"
    case indexIfNotExists = "INDEX IF NOT EXISTS"
    case existsSubquery = "EXISTS {}"
    case countSubquery = "COUNT {}"
}
