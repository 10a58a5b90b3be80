extension BatchStatement {
    /// The batch's items and change without the job node's compare-and-set, returning `sluice_changed`
    /// like the batch statement: for a dry run's `--sample` (inside a transaction that is rolled back)
    /// and for `finalize` (idempotent: its predicate is re-checked and its change makes it false).
    public var unfenced: String {
        """
        \(items)
        \(step.change)
        RETURN count(*) AS sluice_changed
        """
    }
}
