import Bolt

extension BoltConnection {
    /// Runs one statement as `unit`, the server's atomic unit (``BoltCapabilities/atomicUnit``): in an
    /// explicit transaction where auto-commit statements are not atomic (ArcadeDB), as one auto-commit
    /// statement where transactions are fake (FalkorDB). A server error rolls the transaction back.
    /// `serverTime` hears the statement's time on the server (`t_first` + `t_last`), where the server reports it.
    public func runAtomically(
        _ query: String,
        parameters: [String: BoltValue],
        options: BoltTransactionOptions,
        unit: BoltCapabilities.AtomicUnit,
        serverTime: ((Duration) -> Void)? = nil
    ) async throws(BoltError) -> [BoltRecord] {
        func collect(_ result: BoltResult) async throws(BoltError) -> [BoltRecord] {
            let records = try await result.collect()
            if let serverTime, let summary = try? await result.summary(), let first = summary.resultAvailableAfter {
                // The server's numbers: a sum that overflows, or a negative one, says nothing (and must not trap).
                let (total, overflow) = first.addingReportingOverflow(summary.resultConsumedAfter ?? 0)
                if !overflow, total >= 0 { serverTime(.milliseconds(total)) }
            }
            return records
        }
        switch unit {
        case .explicitTransaction:
            let transaction = try await beginTransaction(options: options)
            do {
                let records = try await collect(try await transaction.run(query, parameters: parameters))
                try await transaction.commit()
                return records
            } catch {
                if isActive, case .server = error {
                    try? await transaction.rollback()
                }
                throw error
            }
        case .singleStatement:
            return try await collect(try await run(query, parameters: parameters, options: options))
        }
    }
}
