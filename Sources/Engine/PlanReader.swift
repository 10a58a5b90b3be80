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
    /// ascending chunks. The server answers each window as a count, or a few lists, and serves its other clients
    /// between windows.
    private func readWindows(
        after highest: Int64?,
        parameters: [String: BoltValue],
        chunk handle: ([Int64]) async throws(EngineError) -> Void
    ) async throws(EngineError) -> Int64 {
        let start: Int64
        if let highest {
            guard highest < .max else { return 0 }
            start = highest + 1
        } else {
            start = 0
        }
        let seek = statement.planningSeek
        let found = try await IDSpanSearch.span(from: start) { range throws(EngineError) in
            try await collect(seek, parameters: bounds(range)).isEmpty == false
        }
        guard let span = found else { return 0 }
        var chunk: [Int64] = []
        chunk.reserveCapacity(chunkSize + window)
        var count: Int64 = 0
        for window in IDWindows(lowest: span.lowerBound, highest: span.upperBound, width: window) {
            let windowParameters = parameters.merging(bounds(window)) { _, bound in bound }
            let counted = try await collect(statement.windowCount, parameters: windowParameters)
            let size = Int64(window.count)
            guard let held = counted.first?["sluice_count"]?.intValue, held >= 0, held <= size else {
                throw .migration("planning counted no items for the id window \(window)")
            }
            if held == 0 { continue }
            let start = chunk.count
            if held == size {
                chunk.append(contentsOf: window)
            } else {
                try await list(window, parameters: windowParameters, into: &chunk)
                chunk[start...].sort()
            }
            count += Int64(chunk.count - start)
            if chunk.count >= chunkSize {
                try await handle(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try await handle(chunk) }
        return count
    }

    /// The `sluice_low`/`sluice_high` parameters of an id range.
    private func bounds(_ range: ClosedRange<Int64>) -> [String: BoltValue] {
        ["sluice_low": .integer(range.lowerBound), "sluice_high": .integer(range.upperBound)]
    }

    /// Appends the items of a window neither empty nor full, read as ``BatchStatement/windowPlanning``'s groups.
    private func list(
        _ window: ClosedRange<Int64>,
        parameters: [String: BoltValue],
        into chunk: inout [Int64]
    ) async throws(EngineError) {
        let records = try await collect(statement.windowPlanning, parameters: parameters)
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
    }

    /// A query's `sluice_ids` lists, one record per group of ids in the groups' order, each list sorted here, handed
    /// on in ascending chunks of ``chunkSize`` ids.
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
            var group: [Int64] = []
            while let record = try await iterator.next() {
                guard case .list(let values) = record["sluice_ids"] else {
                    throw EngineError.migration("planning returned no list of ids")
                }
                group.removeAll(keepingCapacity: true)
                for value in values {
                    guard let id = value.intValue else {
                        throw EngineError.migration("planning returned \(value) as an id")
                    }
                    group.append(id)
                }
                group.sort()
                if let previous = chunk.last, let first = group.first, first <= previous {
                    throw EngineError.migration(
                        "planning returned id \(first) after \(previous): the server did not order the groups of ids"
                    )
                }
                chunk += group
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
