import Foundation
import Logging
import Systemd
import Testing

/// `JournalLogHandler` against a real journald: what goes in through `sd_journal_sendv` must come
/// back out of `journalctl` with every field intact.
@Suite struct JournalLogHandlerIntegrationTests {
    @Test func entriesKeepTheirStructuredFields() async throws {
        guard let journal = JournalTestJournal.fromEnvironment() else { return }
        print("RAN \(#function) against \(journal)")
        let run = JournalTestJournal.uniqueToken()
        var logger = Logger(label: "sluice.test.journal") { JournalLogHandler(label: $0, logLevel: .trace) }
        logger[metadataKey: "sluice_test_run"] = .string(run)

        let line: UInt = #line + 1
        logger.notice(
            "job started",
            metadata: [
                SluiceLogKey.messageID: .stringConvertible(SluiceMessageID.jobStarted),
                SluiceLogKey.job: "17",
                SluiceLogKey.migration: "007",
                SluiceLogKey.direction: "up",
                SluiceLogKey.itemsDone: .stringConvertible(20_000),
                SluiceLogKey.throttle: "business hours",
                "plan_note": "first line\nsecond line\n\tindented",
                "password": "hunter2",
                "bolt": ["host": "db.example", "password": "hunter3"],
            ]
        )
        logger.trace("tracing")
        logger.critical("giving up")

        let entries = try await journal.entries(where: "SLUICE_TEST_RUN", is: run, count: 3)
        try #require(entries.count == 3, "entries read back: \(entries)")
        let started = entries[0]
        #expect(started["MESSAGE"] == ["job started"])
        #expect(started["PRIORITY"] == ["5"])
        #expect(started["MESSAGE_ID"] == ["65ae555b55164a5497f8392b51f13b88"])
        #expect(started["SYSLOG_IDENTIFIER"] == ["sluice"])
        #expect(started["LOGGER"] == ["sluice.test.journal"])
        #expect(started["CODE_FILE"] == ["IntegrationTests/JournalLogHandlerIntegrationTests.swift"])
        #expect(started["CODE_LINE"] == [String(line)])
        #expect(started["CODE_FUNC"] == ["entriesKeepTheirStructuredFields()"])
        #expect(started["SLUICE_JOB"] == ["17"])
        #expect(started["MIGRATION"] == ["007"])
        #expect(started["DIRECTION"] == ["up"])
        #expect(started["ITEMS_DONE"] == ["20000"])
        #expect(started["THROTTLE"] == ["business hours"])
        #expect(started["BOLT_HOST"] == ["db.example"])
        #expect(started["PLAN_NOTE"] == ["first line\nsecond line\n\tindented"])
        #expect(started["PASSWORD"] == ["***"])
        #expect(started["BOLT_PASSWORD"] == ["***"])
        // Trusted fields journald adds itself: the entry came from this process over the native socket.
        #expect(started["_PID"] == [String(getpid())])
        #expect(started["_TRANSPORT"] == ["journal"])
        for entry in entries {
            #expect(!entry.values.joined().contains { $0.contains("hunter") }, "a password reached the journal")
        }

        #expect(entries[1]["MESSAGE"] == ["tracing"])
        #expect(entries[1]["PRIORITY"] == ["7"])
        #expect(entries[1]["MESSAGE_ID"] == nil)
        #expect(entries[2]["MESSAGE"] == ["giving up"])
        #expect(entries[2]["PRIORITY"] == ["2"])
    }

    @Test func largeMultiLineValuesArriveWhole() async throws {
        guard let journal = JournalTestJournal.fromEnvironment() else { return }
        print("RAN \(#function) against \(journal)")
        let run = JournalTestJournal.uniqueToken()
        let logger = Logger(label: "sluice.test.journal") { JournalLogHandler(label: $0) }
        let statement = (1...2_000).map { "SET n.p\($0) = $p\($0)" }.joined(separator: "\n")
        let message = "multi-line message:\nsecond line"

        logger.error(
            "\(message)",
            error: JournalTestJournal.Failure(description: "Neo.ClientError.Statement.SyntaxError\nat line 3"),
            metadata: ["sluice_test_run": .string(run), "statement": .string(statement)]
        )

        let entries = try await journal.entries(where: "SLUICE_TEST_RUN", is: run, count: 1)
        try #require(entries.count == 1, "entries read back: \(entries)")
        #expect(entries[0]["MESSAGE"] == [message])
        #expect(entries[0]["PRIORITY"] == ["3"])
        #expect(entries[0]["STATEMENT"] == [statement])
        #expect(entries[0]["ERROR_MESSAGE"] == ["Neo.ClientError.Statement.SyntaxError\nat line 3"])
        #expect(entries[0]["ERROR_TYPE"] == ["IntegrationTests.JournalTestJournal.Failure"])
    }
}
