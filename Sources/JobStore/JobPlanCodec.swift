/// Packs a plan's entries (graph ids, or id boundaries) into `bytea` chunks and back.
///
/// A plan is stored as rows of at most ``maximumChunkEntries`` entries. A row holds its entries listed, 8 bytes
/// little-endian each (a million scattered ids are 16 rows of 512 KiB; any slice is read back by offset with
/// `substring()` on one or two rows: the column uses `STORAGE EXTERNAL`, so Postgres reads only the TOAST pages the
/// slice covers), or, when that is smaller, as runs of consecutive ids, 16 bytes per run (the first id and the run's
/// length): the ids of a graph that deleted little are a few runs, so a million of them are 16 rows of 16 bytes. A
/// billion-entry plan is 15,000 rows, not a billion.
public enum JobPlanCodec {
    /// Entries per stored chunk (512 KiB).
    public static let maximumChunkEntries = 65_536
    /// Bytes per entry.
    public static let entryBytes = 8

    /// Entries as little-endian bytes.
    public static func pack<C: Collection>(_ entries: C) -> [UInt8] where C.Element == Int64 {
        var bytes = [UInt8](repeating: 0, count: entries.count * entryBytes)
        bytes.withUnsafeMutableBytes { raw in
            var offset = 0
            for entry in entries {
                raw.storeBytes(of: entry.littleEndian, toByteOffset: offset, as: Int64.self)
                offset += entryBytes
            }
        }
        return bytes
    }

    /// Little-endian bytes as entries; `nil` when the length is not a multiple of 8.
    public static func unpack(_ bytes: UnsafeRawBufferPointer) -> [Int64]? {
        guard bytes.count % entryBytes == 0 else { return nil }
        let count = bytes.count / entryBytes
        return [Int64](unsafeUninitializedCapacity: count) { buffer, initialized in
            for i in 0..<count {
                buffer[i] = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: i * entryBytes, as: Int64.self))
            }
            initialized = count
        }
    }

    /// Little-endian bytes as entries.
    public static func unpack(_ bytes: [UInt8]) -> [Int64]? {
        bytes.withUnsafeBytes { unpack($0) }
    }

    /// Bytes per run of consecutive entries: its first entry and its length.
    public static let runBytes = 16

    /// How a chunk is stored: its entries listed, or its runs of consecutive entries when that is smaller.
    public static func encode<C: Collection>(_ entries: C) -> (runs: Bool, bytes: [UInt8]) where C.Element == Int64 {
        var runs = 0
        var previous: Int64?
        for entry in entries {
            if !continues(previous, entry) { runs += 1 }
            previous = entry
        }
        guard runs * runBytes < entries.count * entryBytes else { return (false, pack(entries)) }
        var pairs: [Int64] = []  // first, length, first, length, ...
        pairs.reserveCapacity(runs * 2)
        previous = nil
        for entry in entries {
            if continues(previous, entry) { pairs[pairs.count - 1] += 1 } else { pairs += [entry, 1] }
            previous = entry
        }
        return (true, pack(pairs))
    }

    /// Whether `entry` extends the run that `previous` ends.
    private static func continues(_ previous: Int64?, _ entry: Int64) -> Bool {
        guard let previous, previous != .max else { return false }
        return entry == previous + 1
    }

    /// Entries `[skip, skip + count)` of a chunk stored as runs (``encode(_:)``) that holds `total` entries; `nil`
    /// when the runs are not well formed (a length not positive, or lengths that do not add up to `total`) or the
    /// range is not within `total`.
    public static func unpackRuns(
        _ bytes: UnsafeRawBufferPointer,
        total: Int,
        skip: Int,
        count: Int
    ) -> [Int64]? {
        guard bytes.count % runBytes == 0, skip >= 0, count >= 0, skip + count <= total else { return nil }
        var entries: [Int64] = []
        entries.reserveCapacity(count)
        var position = 0  // the chunk's index of the run's first entry
        for offset in stride(from: 0, to: bytes.count, by: runBytes) {
            let first = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: Int64.self))
            let length = Int64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset + entryBytes, as: Int64.self))
            guard length > 0, length <= Int64(total - position), !first.addingReportingOverflow(length - 1).overflow
            else {
                return nil
            }
            let run = Int(length)
            let low = max(skip, position)
            let high = min(skip + count, position + run)
            if low < high {
                entries.append(contentsOf: (first + Int64(low - position))...(first + Int64(high - 1 - position)))
            }
            position += run
        }
        return position == total ? entries : nil
    }

    /// Splits entries into chunks that start at plan offset `start`: the first chunk fills up to the next multiple
    /// of ``maximumChunkEntries`` so that appended plans keep aligned chunks.
    public static func chunks(
        _ entries: [Int64],
        startingAt start: Int64
    ) -> [(offset: Int64, entries: ArraySlice<Int64>)] {
        var result: [(Int64, ArraySlice<Int64>)] = []
        var index = 0
        var offset = start
        let size = Int64(maximumChunkEntries)
        while index < entries.count {
            let room = Int(size - offset % size)
            let end = min(entries.count, index + room)
            result.append((offset, entries[index..<end]))
            offset += Int64(end - index)
            index = end
        }
        return result
    }
}
