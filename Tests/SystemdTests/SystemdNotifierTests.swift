import Glibc
import TestSupport
import Testing

@testable import Systemd

/// The notifier against a real notification socket: a Unix datagram socket standing in for
/// systemd's, named by `NOTIFY_SOCKET` as systemd does. libsystemd reads the environment on every
/// call, so these tests set it and run one at a time; nothing else in the test process reads these
/// variables.
@Suite(.serialized) struct SystemdNotifierTests {
    @Test func isANoOpOutsideSystemd() throws {
        try withEnvironment(["NOTIFY_SOCKET": nil, "WATCHDOG_USEC": nil, "WATCHDOG_PID": nil]) {
            let notifier = SystemdNotifier()
            #expect(!notifier.isEnabled)
            #expect(notifier.watchdogInterval == nil)
            try notifier.send(.ready, .status("nobody listens"))
        }
    }

    @Test func sendsOneDatagramPerCall() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            let notifier = SystemdNotifier()
            #expect(notifier.isEnabled)

            try notifier.send(.ready, .status("waiting for Postgres"))
            #expect(try socket.receive() == "READY=1\nSTATUS=waiting for Postgres")

            try notifier.send(.status("007: 412,000/1,000,000 (41%), ETA 1m12s, throttled: business hours"))
            #expect(try socket.receive() == "STATUS=007: 412,000/1,000,000 (41%), ETA 1m12s, throttled: business hours")

            try notifier.send(.watchdog)
            #expect(try socket.receive() == "WATCHDOG=1")

            try notifier.send(.stopping, .extendTimeout(.seconds(30)))
            #expect(try socket.receive() == "STOPPING=1\nEXTEND_TIMEOUT_USEC=30000000")
        }
    }

    @Test func reloadingCarriesTheMonotonicTime() throws {
        let socket = try NotifySocket()
        try withEnvironment(["NOTIFY_SOCKET": socket.path]) {
            var before = timespec()
            clock_gettime(CLOCK_MONOTONIC, &before)
            try SystemdNotifier().send(.reloadingNow, .status("reloading configuration"))
            let lines = try socket.receive().split(separator: "\n")
            #expect(lines.count == 3)
            #expect(lines.first == "RELOADING=1")
            #expect(lines.last == "STATUS=reloading configuration")
            let stamp = try #require(lines.dropFirst().first?.split(separator: "=", maxSplits: 1))
            #expect(stamp.first == "MONOTONIC_USEC")
            let microseconds = try #require(stamp.last.flatMap { UInt64($0) })
            #expect(microseconds >= UInt64(before.tv_sec) * 1_000_000)
        }
    }

    @Test func sendingToAMissingSocketThrows() throws {
        let path = "/tmp/sluice-notify-missing-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try withEnvironment(["NOTIFY_SOCKET": path]) {
            #expect(throws: SystemdNotifierError.sendFailed(message: "READY=1", errno: ENOENT)) {
                try SystemdNotifier().send(.ready)
            }
        }
    }

    @Test func watchdogIntervalComesFromWatchdogUsec() throws {
        try withEnvironment(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": String(getpid())]) {
            #expect(SystemdNotifier().watchdogInterval == .seconds(4))
        }
        try withEnvironment(["WATCHDOG_USEC": "4000000", "WATCHDOG_PID": String(getpid() + 1)]) {
            #expect(SystemdNotifier().watchdogInterval == nil)
        }
    }

    /// Runs `body` with the variables set (or unset, for nil), then puts back what was there.
    private func withEnvironment(_ variables: [String: String?], _ body: () throws -> Void) throws {
        let saved = variables.keys.map { name in (name, getenv(name).map { String(cString: $0) }) }
        defer {
            for (name, value) in saved { set(name, value) }
        }
        for (name, value) in variables { set(name, value) }
        try body()
    }

    private func set(_ name: String, _ value: String?) {
        if let value { setenv(name, value, 1) } else { unsetenv(name) }
    }
}
