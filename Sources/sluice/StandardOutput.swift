import Foundation

/// Buffered writes to standard output or standard error.
struct StandardOutput: TextOutputStream {
    private let handle: FileHandle

    init(_ handle: FileHandle = .standardOutput) {
        self.handle = handle
    }

    static var error: StandardOutput { StandardOutput(.standardError) }

    mutating func write(_ string: String) {
        handle.write(Data(string.utf8))
    }
}
