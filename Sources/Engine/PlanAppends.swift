import JobStore

/// Stores planned chunks in the job store one at a time and in order, each while the graph is read for the next:
/// planning takes about the longer of the two instead of their sum (at four million FalkorDB nodes, 7 s of graph
/// reads and 6 s of appends). One append in flight bounds what is held to two chunks.
struct PlanAppends {
    private var inFlight: Task<Result<Void, JobStoreError>, Never>?

    /// Waits until the chunk before is stored, then starts storing this one with `append`.
    mutating func next(_ append: @escaping @Sendable () async throws(JobStoreError) -> Void) async throws(JobStoreError)
    {
        try await finish()
        inFlight = Task { () async -> Result<Void, JobStoreError> in
            do throws(JobStoreError) {
                try await append()
                return .success(())
            } catch {
                return .failure(error)
            }
        }
    }

    /// Waits until the last chunk is stored.
    mutating func finish() async throws(JobStoreError) {
        guard let task = inFlight else { return }
        inFlight = nil
        try await task.value.get()
    }

    /// After a failure elsewhere: waits for the append in flight to end, so that nothing is written afterwards.
    mutating func abandon() async {
        inFlight?.cancel()
        _ = await inFlight?.value
        inFlight = nil
    }
}
