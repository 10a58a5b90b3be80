import Foundation
import Testing

/// A tmpfs of a few megabytes owned by user `postgres`, for a tablespace a test fills up: the kernel's own "No space
/// left on device", which Postgres reports as `53100 disk_full`, with no mock in between. Mounting needs root.
struct TinyDisk: Sendable {
    let directory: URL

    static let size = "8m"

    private var filler: URL { directory.appendingPathComponent("filler") }
    private var path: String { "'" + directory.path.replacingOccurrences(of: "'", with: "'\\''") + "'" }

    /// Mounts the tmpfs (over nothing: a mount a crashed run left is taken off first); false when this process may
    /// not mount (not root).
    func mount() async throws -> Bool {
        let (status, output) = try await JobStoreTestDatabase.shell(
            """
            umount \(path) 2>/dev/null; mkdir -p \(path) && \
            mount -t tmpfs -o size=\(Self.size),uid=$(id -u postgres),gid=$(id -g postgres),mode=0700 \
            sluice-test-tiny \(path)
            """
        )
        if status != 0 { print("TinyDisk: mount failed: \(output)") }
        return status == 0
    }

    /// Writes zeros into a file until the kernel refuses (as root, who has no more room on a tmpfs than postgres).
    func fill(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        _ = try await JobStoreTestDatabase.shell("cat /dev/zero > '\(filler.path)'")
        let (_, available) = try await JobStoreTestDatabase.shell("df --output=avail -B1 \(path) | tail -n 1")
        try #require(
            available.trimmingCharacters(in: .whitespacesAndNewlines) == "0",
            "\(directory.path) not full: \(available) bytes free",
            sourceLocation: sourceLocation
        )
    }

    /// Frees the room `fill()` took.
    func empty() throws {
        try FileManager.default.removeItem(at: filler)
    }

    func unmount() async {
        _ = try? await JobStoreTestDatabase.shell("umount \(path) && rmdir \(path)")
    }
}
