import Glibc

/// Whether a file descriptor is the journal stream systemd connected it to.
///
/// systemd sets `JOURNAL_STREAM=<device>:<inode>` for a service whose stdout or stderr goes to the
/// journal; the variable is inherited, so only a match with the descriptor's own `fstat` proves that
/// output really lands there (systemd.exec(5), "Environment Variables Set or Propagated by the Service
/// Manager"). A shell started from the service, or output redirected to a file, does not match.
enum JournalStream {
    static func isConnected(fileDescriptor: Int32, journalStream: String?) -> Bool {
        guard let journalStream else { return false }
        let parts = journalStream.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else {
            return false
        }
        var status = stat()
        guard fstat(fileDescriptor, &status) == 0 else { return false }
        return UInt64(status.st_dev) == device && UInt64(status.st_ino) == inode
    }
}
