/// A change applied item by item, in batches: which items (pattern and predicate) and what to do to each.
///
/// Written as one Cypher statement, `MATCH <pattern> WHERE <predicate> <change>`, that could run as it
/// is; the engine takes it apart so that it can list the items once at planning and then, batch after
/// batch, run `UNWIND $ids AS i MATCH <pattern> WHERE id(<variable>) = i AND (<predicate>) <change>`
/// (or an id range on servers that cannot take a large parameter).
///
/// The predicate is checked again for every item in every batch: an item changed or replaced since
/// planning is skipped when it no longer qualifies, so the change must make the predicate false
/// (or remove the item), or running `up` twice would change the item twice.
public struct DataStep: Sendable, Hashable {
    /// The whole statement as written, without a trailing `;`.
    public let statement: String
    public let pattern: ItemPattern
    /// The WHERE condition, without `WHERE`.
    public let predicate: String
    /// The clauses run once per item with the pattern's variables bound: updating clauses (SET, REMOVE,
    /// CREATE, MERGE, DELETE, FOREACH, CALL), and reading ones (OPTIONAL MATCH, WITH) where they help.
    /// It never RETURNs, so that the engine may run it inside `CALL { WITH <variables> <change> }`
    /// (ArcadeDB runs all eight of `migrations/` either way; FalkorDB 4.16 put only one of several
    /// rows through such a CALL that CREATEs, so there the change is best appended as it is).
    public let change: String
    public let line: Int

    public init(statement: String, pattern: ItemPattern, predicate: String, change: String, line: Int) {
        self.statement = statement
        self.pattern = pattern
        self.predicate = predicate
        self.change = change
        self.line = line
    }
}
