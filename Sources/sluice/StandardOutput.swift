import Foundation

/// Buffered writes to standard output or standard error.
struct StandardOutput: TextOutputStream {
    private let handle: FileHandle
    private let isStandardError: Bool

    init(_ handle: FileHandle = .standardOutput, isStandardError: Bool = false) {
        self.handle = handle
        self.isStandardError = isStandardError
    }

    static var error: StandardOutput { StandardOutput(.standardError, isStandardError: true) }

    /// Writes `string`; a failed write to standard output (a full disk, a closed descriptor) ends the command with
    /// one line on standard error and status 1, since output that was lost must not look like success. A closed
    /// pipe still ends it by SIGPIPE, as for any Unix filter. A failed write to standard error has nowhere to be
    /// reported and is dropped.
    mutating func write(_ string: String) {
        do {
            try handle.write(contentsOf: Data(string.utf8))
        } catch {
            guard !isStandardError else { return }
            SluiceCommand.fail("cannot write to standard output: \(Self.reason(error))")
        }
    }

    /// The system's words for a failed write (`No space left on device`), else Foundation's.
    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        let posix = (nsError.userInfo[NSUnderlyingErrorKey] as? NSError) ?? nsError
        guard posix.domain == NSPOSIXErrorDomain else { return nsError.localizedDescription }
        return String(cString: strerror(Int32(posix.code)))
    }
}
