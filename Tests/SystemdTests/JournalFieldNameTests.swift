import Testing

@testable import Systemd

@Suite struct JournalFieldNameTests {
    @Test(arguments: [
        ("migration", "MIGRATION"),
        ("items_done", "ITEMS_DONE"),
        ("latency-ms", "LATENCY_MS"),
        ("error.message", "ERROR_MESSAGE"),
        ("Sluice Job", "SLUICE_JOB"),
        ("message_id", "MESSAGE_ID"),
        ("größe", "GR__E"),
        ("_SYSTEMD_UNIT", "SLUICE__SYSTEMD_UNIT"),
        ("1st", "SLUICE_1ST"),
        ("", "SLUICE_"),
        ("message", "SLUICE_MESSAGE"),
        ("priority", "SLUICE_PRIORITY"),
        ("code_file", "SLUICE_CODE_FILE"),
        ("syslog_identifier", "SLUICE_SYSLOG_IDENTIFIER"),
    ])
    func name(key: String, expected: String) {
        #expect(JournalFieldName.forMetadataKey(key) == expected)
    }

    @Test func documentedKeysGiveTheDocumentedFields() {
        let fields = [
            SluiceLogKey.messageID, SluiceLogKey.job, SluiceLogKey.migration, SluiceLogKey.direction,
            SluiceLogKey.offset, SluiceLogKey.itemsDone, SluiceLogKey.itemsTotal, SluiceLogKey.rate,
            SluiceLogKey.latencyMilliseconds, SluiceLogKey.throttle,
        ].map(JournalFieldName.forMetadataKey)
        #expect(
            fields == [
                "MESSAGE_ID", "SLUICE_JOB", "MIGRATION", "DIRECTION", "OFFSET", "ITEMS_DONE", "ITEMS_TOTAL", "RATE",
                "LATENCY_MS", "THROTTLE",
            ]
        )
    }

    @Test func namesAreCutTo64Characters() {
        let name = JournalFieldName.forMetadataKey(String(repeating: "a", count: 100))
        #expect(name == String(repeating: "A", count: 64))
        #expect(JournalFieldName.forMetadataKey("_" + String(repeating: "a", count: 100)).count == 64)
    }
}
