import Bolt

extension BoltConnection {
    /// Runs one statement as `unit`, the server's atomic unit (``BoltCapabilities/atomicUnit``): in an
    /// explicit transaction where auto-commit statements are not atomic (ArcadeDB), as one auto-commit
    /// statement where transactions are fake (FalkorDB). A server error rolls the transaction back.
    public func runAtomically(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        unit: BoltCapabilities.AtomicUnit
    ) async throws(BoltError) -> [BoltRecord] {
        switch unit {
        case .explicitTransaction:
            let transaction = try await beginTransaction(options: options)
            do {
                let records = try await transaction.run(query, parameters: parameters).collect()
                try await transaction.commit()
                return records
            } catch {
                if isActive, case .server = error {
                    try? await transaction.rollback()
                }
                throw error
            }
        case .singleStatement:
            return try await run(query, parameters: parameters, options: options).collect()
        }
    }
}
