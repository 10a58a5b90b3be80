import Glibc

/// A Unix datagram socket bound to a fresh path, receiving what `sd_notify` sends: systemd's end
/// of the notification protocol, without systemd. Shared by the unit tests of the notifier and the
/// integration tests that run the daemon as a child process.
public final class NotifySocket: @unchecked Sendable {
    public enum Failure: Error {
        case system(call: String, errno: Int32)
    }

    public let path: String
    private let descriptor: Int32

    public init() throws {
        path = "/tmp/sluice-notify-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { throw Failure.system(call: "socket", errno: errno) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8)
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let error = errno
            close(descriptor)
            throw Failure.system(call: "bind", errno: error)
        }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(descriptor)
        unlink(path)
    }

    /// The next datagram as text; throws when none arrives within five seconds.
    public func receive() throws -> String {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let count = recv(descriptor, &buffer, buffer.count, 0)
        guard count >= 0 else { throw Failure.system(call: "recv", errno: errno) }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }
}
