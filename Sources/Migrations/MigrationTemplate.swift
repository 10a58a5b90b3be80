/// The file `sluice new` writes: a valid migration that changes nothing, every part explained.
///
/// It parses as it is (so `sluice check` passes at once and shows the format working) but touches no
/// data: its example matches the label `ChangeMe`, which no graph should have.
public enum MigrationTemplate {
    /// The label the template's example matches: no graph should have it, so the file changes nothing as written.
    public static let placeholderLabel = "ChangeMe"

    public static func text(for fileName: MigrationFileName) -> String {
        let kept = MigrationFile.bookkeepingPrefix(for: fileName.version)
        return """
            // sluice:description TODO: say in a sentence what this migration changes and why.
            //
            // A migration file: lines starting with `// sluice:` are sluice's, everything else is Cypher or
            // a comment. The reference is README.md, "Migration files". Replace the example below (it
            // changes nothing: no node has the label ChangeMe), delete what you do not need, and run
            // `sluice check`. Once applied, never edit this file: write a new migration.
            //
            // Optional lines, each on a line of its own outside a section (written `// sluice:NAME ...`):
            //   max_items N        refuse to start when the plan holds more than N items, so that a typo
            //                      in a predicate cannot touch the whole graph
            //   batch_size N       items per batch to start with (the throttle may lower it)
            //   param NAME = EXPR  a value computed once when the job is planned, used as $NAME in every
            //                      batch (`param asOf = date()`: batches must agree on what today is)
            //   requires F, ...    Cypher features beyond the common core (`IS ::`, `duration.inDays`)
            //   uses_index :Label(property)   an index that must be ONLINE before the first write
            // and the section `probe`: a representative read of your application, timed by the throttle.

            // sluice:up data
            // MATCH one node, or one relationship (a:A)-[r:TYPE]->(b:B); WHERE selects the items; then the
            // change. The engine lists the items once and changes them in batches, checking the WHERE
            // again for every item: the change must make it false, so that up twice changes nothing.
            // Keep what down needs in properties starting with \(kept).
            MATCH (n:ChangeMe)
            WHERE n.changed IS NULL
            SET n.changed = true,
                n.\(kept) = true

            // Schema steps, one CREATE or DROP of an INDEX or CONSTRAINT each, are sections of their own:
            // `// sluice:up schema`, undone by a `// sluice:down schema`. Steps run in file order, each in an
            // auto-commit transaction of its own; a created index is waited for until it is ONLINE.

            // sluice:up verify
            // Runs after the last batch: the job succeeds only if `ok` is true. Other columns are shown.
            // Written as the data step's MATCH and WHERE counted to zero, as here, it also tells the job that
            // no item came to qualify while it ran, and the job skips its re-plan for late items.
            MATCH (n:ChangeMe)
            WHERE n.changed IS NULL
            RETURN count(n) = 0 AS ok

            // sluice:down data
            // Undoes exactly what up did, found through what up kept.
            MATCH (n:ChangeMe)
            WHERE n.\(kept) IS NOT NULL
            REMOVE n.changed, n.\(kept)

            // sluice:down verify
            MATCH (n:ChangeMe)
            WHERE n.\(kept) IS NOT NULL
            RETURN count(n) = 0 AS ok

            // sluice:finalize data
            // `sluice finalize` runs this when the change is there to stay: it strips what up kept for down.
            MATCH (n:ChangeMe)
            WHERE n.\(kept) IS NOT NULL
            REMOVE n.\(kept)

            """
    }
}
