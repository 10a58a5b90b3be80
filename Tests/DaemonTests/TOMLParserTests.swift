import Foundation
import Testing

@testable import Daemon

@Suite struct TOMLParserTests {
    @Test func readsTablesKeysAndEveryValueKindWithTheirLines() throws {
        let document = try TOMLDocument(
            parsing: """
                # comment
                top = "level"

                [daemon]
                lease = "30s"   # trailing comment
                count = 1_000
                ratio = 0.5
                on = true
                path = 'C:\\no\\escapes'
                text = "tab\\tquote\\"\\u00e9"
                windows = [
                    "a = Mon-Fri 09:00-18:00 UTC: pause",  # first
                    'b',
                ]
                """
        )
        #expect(document.entry("", "top") == TOMLEntry(value: .string("level"), line: 2))
        #expect(document.entry("daemon", "lease") == TOMLEntry(value: .string("30s"), line: 5))
        #expect(document.entry("daemon", "count")?.value == .integer(1000))
        #expect(document.entry("daemon", "ratio")?.value == .float(0.5))
        #expect(document.entry("daemon", "on")?.value == .boolean(true))
        #expect(document.entry("daemon", "path")?.value == .string("C:\\no\\escapes"))
        #expect(document.entry("daemon", "text")?.value == .string("tab\tquote\"é"))
        #expect(
            document.entry("daemon", "windows")
                == TOMLEntry(value: .array([.string("a = Mon-Fri 09:00-18:00 UTC: pause"), .string("b")]), line: 11)
        )
        #expect(document.tableLines["daemon"] == 4)
    }

    /// A file saved with Windows line ends reads as the same file with LF, lines counted alike.
    @Test func crlfLineEndsReadAsLineEnds() throws {
        let text =
            "# comment\n\n[daemon]\nlease = \"30s\"   # trailing\n\nwindows = [\n  \"a\",  # first\n\n  'b',\n]\n[engine]\n"
        let windows = try TOMLDocument(parsing: text.replacingOccurrences(of: "\n", with: "\r\n"))
        #expect(windows.tables == (try TOMLDocument(parsing: text)).tables)
        #expect(windows.entry("daemon", "lease") == TOMLEntry(value: .string("30s"), line: 4))
        #expect(windows.entry("daemon", "windows")?.value == .array([.string("a"), .string("b")]))
        #expect(windows.tableLines == ["daemon": 3, "engine": 11])
    }

    @Test(arguments: [
        ("[a]\nx = 1\nx = 2\n", 3, "defined twice"),
        ("[a]\n[a]\n", 2, "defined twice"),
        ("x = \"open\n", 1, "unterminated string"),
        ("a.b = 1\n", 1, "dotted keys"),
        ("x = { a = 1 }\n", 1, "inline tables"),
        ("x = \"\"\"long\"\"\"\n", 1, "multi-line strings"),
        ("\n\nx = 1979-05-27\n", 3, "dates and times"),
        ("x = bare\n", 1, "strings need quotes"),
        ("x = 1 2\n", 1, "one key per line"),
        ("[[jobs]]\n", 1, "arrays of tables"),
        ("x = [1, 2\n", 1, "unterminated array"),
        ("x = 1__0\n", 1, "invalid number"),
        ("x = 1\r\ry = 2\n", 1, "one key per line"),
    ])
    func refusesWhatItDoesNotUnderstandWithTheLine(text: String, line: Int, reason: String) {
        #expect {
            _ = try TOMLDocument(parsing: text)
        } throws: { error in
            guard let error = error as? TOMLError else { return false }
            return error.line == line && error.reason.contains(reason)
        }
    }

    @Test func quotedValuesParseBackToThemselves() throws {
        let text = "tricky \"quotes\" \\ back\nslash\ttab\u{01}"
        let document = try TOMLDocument(parsing: "x = \(TOMLValue.quoted(text))\n")
        #expect(document.entry("", "x")?.value == .string(text))
    }
}
