/// Reads one migration file.
///
/// ## The format
///
/// A migration is a plain-text file named `NNN_snake_name.cypher`: the number is its version, the rest
/// its name. Its Cypher stays Cypher, so editors highlight it and reviewers read it; sluice's own lines
/// are Cypher comments of the form `// sluice:<directive> [argument]`:
///
/// ```
/// // sluice:description Adds normalizedName (the name lower-cased and trimmed) to every named Project.
/// // sluice:batch_size 10000
///
/// // sluice:up data
/// MATCH (p:Project)
/// WHERE p.name IS NOT NULL AND p.normalizedName IS NULL
/// SET p.normalizedName = toLower(trim(p.name)), p._sluice_m007 = true
///
/// // sluice:up verify
/// MATCH (p:Project) WHERE p.name IS NOT NULL AND p.normalizedName IS NULL RETURN count(p) = 0 AS ok
///
/// // sluice:down data
/// MATCH (p:Project)
/// WHERE p._sluice_m007 IS NOT NULL
/// REMOVE p.normalizedName, p._sluice_m007
///
/// // sluice:down verify
/// MATCH (p:Project) WHERE p._sluice_m007 IS NOT NULL RETURN count(p) = 0 AS ok
///
/// // sluice:finalize data
/// MATCH (p:Project)
/// WHERE p._sluice_m007 IS NOT NULL
/// REMOVE p._sluice_m007
/// ```
///
/// Line directives, anywhere outside a section:
/// - `description TEXT` (required): what the migration changes and why; the `//` comment lines right
///   below it (up to a blank line or a bare `//`) continue it.
/// - `max_items N`, `batch_size N`: see ``MigrationOptions``. `N` is digits, which single `_` may group
///   (`1_000_000`).
/// - `param NAME = EXPRESSION`: a value bound once at planning, used as `$NAME` (``MigrationParameter``).
/// - `requires FEATURE, ...`: Cypher features beyond the common core (`duration.inDays`, `IS ::`), each a
///   ``CypherFeature``.
/// - `uses_index :Label(property, ...)` or `[:TYPE](property)`: an index that must be ONLINE first.
///
/// Section directives; the Cypher on the lines below, up to the next directive, is the section's body:
/// - `up schema`, `down schema`: one CREATE or DROP of an INDEX or CONSTRAINT (``SchemaStep``).
/// - `up data`, `down data`, `finalize data`: `MATCH <item> WHERE <predicate> <change>` (``DataStep``).
/// - `up verify`, `down verify` (required), `finalize verify`: a read query returning a boolean `ok`.
/// - `probe`: a representative read the throttle times (``MigrationOptions/probe``).
///
/// A direction's steps run in file order: the schema steps above its data step before the first batch,
/// the ones below it after the last. `up` and `down` have one data step each (a job plans and batches
/// one set of items); `finalize` may have several. Other `//` lines outside sections are free comments;
/// inside a section they stay part of the Cypher. A comment that starts with the word `sluice`, in any
/// case, is always read as a directive, and refused unless written exactly as one: `// Sluice:up verify`
/// must not leave the verify query in the step above. A statement may end with `;`. Bookkeeping that
/// `up` keeps for `down` lives in properties named `_sluice_mNNN...` after the migration's own version,
/// and a `finalize data` step removes them.
///
/// The checksum covers the exact bytes: a file checked out with CRLF line endings has another checksum
/// than the same file with LF (which is why `migrations/.gitattributes` pins `eol=lf`); both parse alike.
public enum MigrationParser {
    /// Parses the bytes of the file at `path` (used for its name and in errors), reporting every problem.
    public static func parse(_ bytes: [UInt8], path: String) throws(InvalidMigrations) -> MigrationFile {
        var reader = MigrationFileReader(path: path)
        guard let file = reader.read(bytes) else { throw InvalidMigrations(reader.errors) }
        return file
    }
}
