import Bolt

/// Reads a data step's items from the graph for its plan, read-only, in chunks of bounded size, in the form
/// ``BatchStatement/planReading`` chose for the server: `sluice run`, the daemon and the benchmark's bare loop
/// plan through it alike.
public struct PlanReader: Sendable {
    public let connection: BoltConnection
    public let statement: BatchStatement
    public let options: BoltTransactionOptions
    /// Ids handed on per chunk (the last may hold fewer; an id window or a group may push one past it).
    public let chunkSize: Int
    /// Ids per window where the server is read by id windows.
    public let window: Int

    public init(
        connection: BoltConnection,
        statement: BatchStatement,
        options: BoltTransactionOptions,
        chunkSize: Int,
        window: Int
    ) {
        self.connection = connection
        self.statement = statement
        self.options = options
        self.chunkSize = max(1, chunkSize)
        self.window = max(1, window)
    }

    /// Whether chunks come in ascending id order, each above the last: they can be appended to a plan as they
    /// come, without staging and sorting.
    public var chunksAreSorted: Bool { statement.planReading == .idWindows }

    /// Every item the step selects now; returns how many ids were handed on.
    public func readAll(
        parameters: [String: BoltValue],
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        switch statement.planReading {
        case .groups:
            try await readGroups(statement.groupPlanning, parameters: parameters, chunk: handle)
        case .idWindows:
            try await readWindows(after: nil, parameters: parameters, chunk: handle)
        }
    }

    /// The items selected now whose id is above `highest`, the highest planned: the catch-up re-plan.
    public func readLate(
        after highest: Int64,
        parameters: [String: BoltValue],
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        switch statement.planReading {
        case .groups:
            var late = parameters
            late["sluice_after"] = .integer(highest)
            return try await readGroups(statement.latePlanning, parameters: late, chunk: handle)
        case .idWindows:
            return try await readWindows(after: highest, parameters: parameters, chunk: handle)
        }
    }

    /// One id window at a time (of the ids above `highest`, when given), each window's ids sorted, handed on in
    /// ascending chunks. The server answers each window as a few lists and serves its other clients between windows.
    private func readWindows(
        after highest: Int64?,
        parameters: [String: BoltValue],
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        let bounds = try await collect(
            highest == nil ? statement.planningBounds : statement.latePlanningBounds,
            parameters: highest.map { ["sluice_after": .integer($0)] } ?? [:]
        )
        guard let low = bounds.first?["sluice_low"]?.intValue, let high = bounds.first?["sluice_high"]?.intValue
        else { return 0 }
        var chunk: [Int64] = []
        chunk.reserveCapacity(chunkSize + window)
        var count: Int64 = 0
        for window in IDWindows(lowest: low, highest: high, width: window) {
            var windowParameters = parameters
            windowParameters["sluice_low"] = .integer(window.lowerBound)
            windowParameters["sluice_high"] = .integer(window.upperBound)
            let records = try await collect(statement.windowPlanning, parameters: windowParameters)
            let start = chunk.count
            for record in records {
                guard case .list(let values) = record["sluice_ids"], let first = record["sluice_first"]?.intValue,
                    let last = record["sluice_last"]?.intValue, window.contains(first), window.contains(last),
                    first <= last, last - first < BatchStatement.planGroup
                else {
                    throw .migration("planning returned no group of ids for the id window \(window)")
                }
                guard !values.isEmpty else {
                    // Every id from the first to the last.
                    chunk.append(contentsOf: first...last)
                    continue
                }
                for value in values {
                    guard let id = value.intValue, (first...last).contains(id) else {
                        throw .migration("planning returned \(value) for the id window \(window)")
                    }
                    chunk.append(id)
                }
            }
            chunk[start...].sort()
            count += Int64(chunk.count - start)
            if chunk.count >= chunkSize {
                try await handle(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try await handle(chunk) }
        return count
    }

    /// A query's `sluice_ids` lists, one record per group of ids, in the server's order, handed on in chunks of
    /// ``chunkSize`` ids (unsorted: the job store sorts them).
    private func readGroups(
        _ query: String,
        parameters: [String: BoltValue],
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        var chunk: [Int64] = []
        chunk.reserveCapacity(chunkSize + BatchStatement.planGroup)
        var count: Int64 = 0
        do {
            let result = try await connection.run(query, parameters: parameters, options: options, fetchSize: 100)
            var iterator = result.makeAsyncIterator()
            while let record = try await iterator.next() {
                guard case .list(let values) = record["sluice_ids"] else {
                    throw EngineError.migration("planning returned no list of ids")
                }
                for value in values {
                    guard let id = value.intValue else {
                        throw EngineError.migration("planning returned \(value) as an id")
                    }
                    chunk.append(id)
                }
                count += Int64(values.count)
                if chunk.count >= chunkSize {
                    try await handle(chunk)
                    chunk.removeAll(keepingCapacity: true)
                }
            }
        } catch let error as BoltError {
            throw .bolt(error)
        } catch let error as EngineError {
            throw error
        } catch {
            throw .bolt(.connectionLost(reason: "\(error)"))
        }
        if !chunk.isEmpty { try await handle(chunk) }
        return count
    }

    private func collect(
        _ query: String,
        parameters: [String: BoltValue]
    ) async throws(EngineError) -> [BoltRecord] {
        do {
            return try await connection.run(query, parameters: parameters, options: options).collect()
        } catch {
            throw .bolt(error)
        }
    }
}
