import Migrations

extension MigrationFile {
    /// The batch size a command uses: `given` (`--batch-size`), else the file's `batch_size`, else `configured`, the
    /// configuration's `[engine] batch_size` (10,000 unless set): as the daemon chooses for a job of its own.
    func batchSize(_ given: Int?, configured: Int) -> Int {
        given ?? options.batchSize ?? configured
    }
}
