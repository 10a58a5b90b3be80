import Glibc

/// `prctl(PR_SET_DUMPABLE, 0)` failed: the daemon refuses to run with its secrets exposed to core dumps.
public struct ProcessDumpabilityError: Error, Sendable, Equatable, CustomStringConvertible {
    public var errno: Int32

    public var description: String {
        "cannot make the process non-dumpable (prctl PR_SET_DUMPABLE): " + String(cString: strerror(errno))
    }
}
