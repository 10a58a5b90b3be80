/// Packs a plan's entries (graph ids, or id boundaries) into `bytea` chunks and back.
///
/// A plan is stored as rows of at most ``maximumChunkEntries`` entries, each entry 8 bytes little-endian: a million
/// ids are 16 rows of 512 KiB, written in a handful of round trips; any slice is read back by offset with
/// `substring()` on one or two rows (the column uses `STORAGE EXTERNAL`, so Postgres reads only the TOAST pages
/// the slice covers). A billion-entry plan is 15,000 rows, not a billion.
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
