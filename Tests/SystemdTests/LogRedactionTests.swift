import Logging
import Testing

@testable import Systemd

@Suite struct LogRedactionTests {
    @Test(arguments: [
        "password", "PASSWORD", "bolt_password", "pgPassword", "db-passwd", "client_secret", "lease_token",
        "credentials", "api-key", "Authorization", "private_key",
    ])
    func secretKeys(key: String) {
        #expect(LogRedaction.standard.isSecret(key: key))
        #expect(LogRedaction.standard.redact([key: "hunter2"]) == [key: "***"])
    }

    @Test(arguments: ["migration", "user", "host", "items_done", "pass", "key"])
    func ordinaryKeys(key: String) {
        #expect(!LogRedaction.standard.isSecret(key: key))
        #expect(LogRedaction.standard.redact([key: "value"]) == [key: "value"])
    }

    @Test func nestedValuesAreRedacted() {
        let metadata: Logger.Metadata = [
            "bolt": ["url": "bolt://db:7687", "password": "hunter2", "tls": ["secret": ["a", "b"]]],
            "attempts": [["token": "t1"], "plain"],
            "secrets": ["nested": "whole subtree"],
        ]
        let expected: Logger.Metadata = [
            "bolt": ["url": "bolt://db:7687", "password": "***", "tls": ["secret": "***"]],
            "attempts": [["token": "***"], "plain"],
            "secrets": "***",
        ]
        #expect(LogRedaction.standard.redact(metadata) == expected)
    }

    @Test func customFragments() {
        let redaction = LogRedaction(secretKeyFragments: ["PIN-Code", ""])
        #expect(redaction.secretKeyFragments == ["pincode"])
        #expect(redaction.isSecret(key: "user_pin_code"))
        #expect(!redaction.isSecret(key: "password"))
    }
}
