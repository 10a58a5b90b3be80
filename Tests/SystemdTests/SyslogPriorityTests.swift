import Logging
import Testing

@testable import Systemd

@Suite struct SyslogPriorityTests {
    @Test(arguments: [
        (Logger.Level.trace, 7), (.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priority(level: Logger.Level, expected: Int) {
        #expect(level.syslogPriority == expected)
    }
}
