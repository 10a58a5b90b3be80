import Bolt

/// Prints a result as a text table, cypher-shell style.
///
/// Column widths come from the header and the first ``sampleSize`` rows, so a large result streams
/// in bounded memory; a later, wider value widens its row only.
enum ResultTable {
    static let sampleSize = 1000

    /// Prints the table and returns the number of rows.
    static func print(_ result: BoltResult, to output: inout StandardOutput) async throws -> Int {
        guard !result.keys.isEmpty else {
            return try await result.reduce(0) { count, _ in count + 1 }
        }
        var sample: [[String]] = []
        var iterator = result.makeAsyncIterator()
        while sample.count < sampleSize, let record = try await iterator.next() {
            sample.append(record.values.map(\.description))
        }
        var widths = result.keys.map(\.count)
        for row in sample {
            for (index, cell) in row.enumerated() where index < widths.count {
                widths[index] = max(widths[index], cell.count)
            }
        }
        let rule = "+" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "+") + "+\n"
        func line(_ cells: [String]) -> String {
            "|"
                + zip(cells, widths).map { cell, width in
                    " " + cell + String(repeating: " ", count: max(0, width - cell.count)) + " "
                }.joined(separator: "|") + "|\n"
        }
        output.write(rule)
        output.write(line(result.keys))
        output.write(rule)
        var rows = 0
        for row in sample {
            output.write(line(row))
            rows += 1
        }
        while let record = try await iterator.next() {
            output.write(line(record.values.map(\.description)))
            rows += 1
        }
        output.write(rule)
        return rows
    }
}
