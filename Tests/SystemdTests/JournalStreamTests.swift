import Glibc
import Testing

@testable import Systemd

/// `JOURNAL_STREAM` against a real descriptor: a temporary file stands in for the journal's stream.
@Suite struct JournalStreamTests {
    @Test func matchesOnlyTheSameDeviceAndInode() throws {
        var template = Array("/tmp/sluice-journal-stream-XXXXXX".utf8CString)
        let descriptor = mkstemp(&template)
        try #require(descriptor >= 0)
        defer {
            close(descriptor)
            unlink(template)
        }
        var status = stat()
        try #require(fstat(descriptor, &status) == 0)

        #expect(
            JournalStream.isConnected(fileDescriptor: descriptor, journalStream: "\(status.st_dev):\(status.st_ino)")
        )
        #expect(
            !JournalStream.isConnected(
                fileDescriptor: descriptor,
                journalStream: "\(status.st_dev):\(status.st_ino + 1)"
            )
        )
        #expect(!JournalStream.isConnected(fileDescriptor: descriptor, journalStream: nil))
        #expect(!JournalStream.isConnected(fileDescriptor: descriptor, journalStream: ""))
        #expect(!JournalStream.isConnected(fileDescriptor: descriptor, journalStream: "\(status.st_dev)"))
        #expect(!JournalStream.isConnected(fileDescriptor: descriptor, journalStream: "x:\(status.st_ino)"))
        #expect(!JournalStream.isConnected(fileDescriptor: -1, journalStream: "\(status.st_dev):\(status.st_ino)"))
    }

    @Test func explicitDestinationsAreKept() {
        #expect(SluiceLogging.resolve(.journal) == .journal)
        #expect(SluiceLogging.resolve(.stderr) == .stderr)
        #expect(SluiceLogging.resolve(.automatic) != .automatic)
    }
}
