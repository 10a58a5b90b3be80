import Foundation

/// Reads a secret kept in a file: a systemd credential (`$CREDENTIALS_DIRECTORY/NAME`) or a password file.
public enum SecretFile {
    /// The first line of `path` (without its newline): what `echo secret > file` and `LoadCredential=` give.
    public static func firstLine(of path: String, what: String) throws(SecretFileError) -> String {
        let contents: String
        do {
            contents = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SecretFileError(path: path, what: what, reason: reason(error, path: path))
        }
        return String(contents.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first ?? "")
    }

    /// The path of systemd credential `name`, when the unit passed one (`LoadCredential=NAME:...`).
    public static func credentialPath(_ name: String, environment: [String: String]) -> String? {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty else { return nil }
        let path = directory + "/" + name
        return FileManager.default.fileExists(atPath: path) ? path : nil
    }

    /// Whether a user who is neither the owner of `path` nor in its group can read it: the file lets others read it
    /// and every folder above it lets them through. All that a user allocated at start (`DynamicUser=yes`, as the
    /// shipped unit runs) can read, since it owns nothing and is in no group.
    public static func isReadableByAnyUser(_ path: String) -> Bool {
        var status = stat()
        let file = URL(fileURLWithPath: path).standardizedFileURL.path
        guard stat(file, &status) == 0, status.st_mode & S_IROTH != 0 else { return false }
        var folder = file
        repeat {
            folder = (folder as NSString).deletingLastPathComponent
            guard stat(folder, &status) == 0, status.st_mode & S_IXOTH != 0 else { return false }
        } while folder != "/"
        return true
    }

    /// Why reading the text file at `path` failed, in words an operator acts on ("is a directory", "is not UTF-8
    /// text", "Permission denied"); Foundation's own ("NSCocoaErrorDomain error 256") only when nothing better is known.
    static func reason(_ error: any Error, path: String) -> String {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
            return "is a directory"
        }
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain,
            let code = POSIXErrorCode(rawValue: Int32(underlying.code))
        {
            return String(cString: strerror(code.rawValue))
        }
        if nsError.domain == NSCocoaErrorDomain {
            switch nsError.code {
            case NSFileReadNoSuchFileError: return "no such file"
            // Read as UTF-8, a file that does not decode is reported as in the wrong format.
            case NSFileReadInapplicableStringEncodingError, NSFileReadCorruptFileError: return "is not UTF-8 text"
            case NSFileReadNoPermissionError: return "permission denied"
            default: break
            }
        }
        return nsError.localizedDescription
    }
}

/// A secret file that cannot be read; names the file, never its contents.
public struct SecretFileError: Error, Sendable, Equatable, CustomStringConvertible {
    public var path: String
    public var what: String
    public var reason: String

    public var description: String { "cannot read \(what) \(path): \(reason)" }
}
