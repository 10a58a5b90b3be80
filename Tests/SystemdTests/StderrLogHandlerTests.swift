import Logging
import Testing

@testable import Systemd

@Suite struct StderrLogHandlerTests {
    @Test func lineFormat() {
        let line = StderrLogHandler.line(
            time: 1_795_611_600,
            level: .info,
            label: "sluice",
            message: "batch committed",
            metadata: ["migration": "007", "items_done": "20000", "bolt": ["host": "db"]]
        )
        #expect(line == "2026-11-25T13:00:00Z info sluice: batch committed bolt.host=db items_done=20000 migration=007")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("", #""""#),
        ("business hours", #""business hours""#),
        ("a=b", #""a=b""#),
        ("say \"hi\"", #""say \"hi\"""#),
        ("two\nlines\ttab", #""two\nlines\ttab""#),
        ("bell\u{7}", #""bell\u{7}""#),
        ("C:\\path", "C:\\path"),
        ("back\\slash quoted", #""back\\slash quoted""#),
    ])
    func quoting(value: String, expected: String) {
        #expect(StderrLogHandler.quoted(value) == expected)
    }

    @Test func timestampIsUTC() {
        #expect(StderrLogHandler.timestamp(0) == "1970-01-01T00:00:00Z")
    }
}
