import Logging
import Testing

@testable import Systemd

/// The fields an entry is sent with; `Tests/IntegrationTests/JournalLogHandlerIntegrationTests.swift`
/// checks that journald stores them.
@Suite struct JournalLogHandlerTests {
    struct Refused: Error {}

    static let event = LogEvent(
        level: .warning,
        message: "batch split",
        metadata: [
            SluiceLogKey.migration: "007",
            SluiceLogKey.itemsDone: .stringConvertible(20_000),
            "password": "hunter2",
            "message": "not the message",
            "bolt": ["host": "db", "attempt": "2"],
            "error_text": "line one\nline two",
        ],
        source: "Engine",
        file: "Engine/Batch.swift",
        function: "run(_:)",
        line: 42
    )

    @Test func fieldsOfAnEntry() {
        var handler = JournalLogHandler(label: "sluice.engine")
        handler[metadataKey: SluiceLogKey.job] = "17"
        let metadata = LogMetadataFlattening.merged(
            handler: handler.metadata,
            provider: handler.metadataProvider,
            event: Self.event,
            redaction: handler.redaction
        )
        let fields = handler.fields(for: Self.event, metadata: metadata).map { "\($0.name)=\($0.value)" }
        #expect(
            fields == [
                "MESSAGE=batch split",
                "PRIORITY=4",
                "SYSLOG_IDENTIFIER=sluice",
                "LOGGER=sluice.engine",
                "CODE_FILE=Engine/Batch.swift",
                "CODE_LINE=42",
                "CODE_FUNC=run(_:)",
                "BOLT_ATTEMPT=2",
                "BOLT_HOST=db",
                "ERROR_TEXT=line one\nline two",
                "ITEMS_DONE=20000",
                "SLUICE_MESSAGE=not the message",
                "MIGRATION=007",
                "PASSWORD=***",
                "SLUICE_JOB=17",
            ]
        )
    }

    @Test func callMetadataWinsOverProviderAndHandler() {
        let provider = Logger.MetadataProvider { ["migration": "from provider", "worker": "w1"] }
        var event = Self.event
        event.metadata = ["migration": "from call"]
        event.error = Refused()
        let metadata = LogMetadataFlattening.merged(
            handler: ["migration": "from handler", "direction": "up"],
            provider: provider,
            event: event,
            redaction: .standard
        )
        #expect(
            metadata == [
                "migration": "from call", "worker": "w1", "direction": "up", "error.message": "Refused()",
                "error.type": "SystemdTests.JournalLogHandlerTests.Refused",
            ]
        )
    }
}
