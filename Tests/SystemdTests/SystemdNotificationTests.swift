import Glibc
import Testing

@testable import Systemd

@Suite struct SystemdNotificationTests {
    @Test(arguments: [
        (SystemdNotification.ready, "READY=1"),
        (.stopping, "STOPPING=1"),
        (.watchdog, "WATCHDOG=1"),
        (
            .status("007 normalize_project_names: 412,000/1,000,000 (41%)"),
            "STATUS=007 normalize_project_names: 412,000/1,000,000 (41%)"
        ),
        (.reloading(monotonicMicroseconds: 123_456_789), "RELOADING=1\nMONOTONIC_USEC=123456789"),
        (.extendTimeout(.seconds(90)), "EXTEND_TIMEOUT_USEC=90000000"),
        (.extendTimeout(.milliseconds(1.5)), "EXTEND_TIMEOUT_USEC=1500"),
        (.extendTimeout(.seconds(-1)), "EXTEND_TIMEOUT_USEC=0"),
    ])
    func text(notification: SystemdNotification, expected: String) {
        #expect(notification.text == expected)
    }

    @Test func statusCannotInjectAssignments() {
        #expect(SystemdNotification.status("waiting\nREADY=1\r\nX").text == "STATUS=waiting READY=1 X")
    }

    @Test func reloadingNowUsesTheMonotonicClock() throws {
        func monotonicMicroseconds() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_MONOTONIC, &now)
            return UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1_000
        }
        let before = monotonicMicroseconds()
        let notification = SystemdNotification.reloadingNow
        let after = monotonicMicroseconds()
        guard case .reloading(let stamp) = notification else {
            Issue.record("expected .reloading, got \(notification)")
            return
        }
        #expect((before...after).contains(stamp))
    }
}
