/// One of the checks pre-flight runs before a job's first write; an operator may skip one by name
/// (`--skip-preflight max_items`), never all at once.
public enum PreflightCheck: String, Sendable, Hashable, CaseIterable, Codable {
    /// The Cypher features the migration `requires` work on this server.
    case features
    /// A write that leaves nothing behind succeeds: the account may write and the database is writable.
    case write
    /// The planned count is within the migration's `max_items`.
    case maxItems = "max_items"
    /// Every `uses_index` index exists and is ONLINE (checked after the direction's own schema steps).
    case indexes
    /// The batch statement's EXPLAIN plan seeks items by id instead of scanning a label per batch.
    case plan
    /// An up the graph's `(:Migration)` node records as applied, with the same file, is in this job store's history
    /// too: a second job store on one graph would otherwise run it again.
    case history
}
