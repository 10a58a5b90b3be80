import Testing

@testable import JobStore

/// How long connecting may wait: never longer than a statement may wait for its answer.
@Suite struct PostgresConfigurationTests {
    @Test func theConnectTimeoutIsTheAnswerTimeoutWhenThatIsShorter() {
        #expect(PostgresConfiguration().effectiveConnectTimeoutSeconds == 10)
        #expect(PostgresConfiguration(answerTimeout: .seconds(4)).effectiveConnectTimeoutSeconds == 4)
        // libpq counts whole seconds, at least 2.
        #expect(PostgresConfiguration(answerTimeout: .milliseconds(2_500)).effectiveConnectTimeoutSeconds == 3)
        #expect(PostgresConfiguration(answerTimeout: .seconds(1)).effectiveConnectTimeoutSeconds == 2)
        #expect(
            PostgresConfiguration(connectTimeoutSeconds: 5, answerTimeout: .seconds(30)).effectiveConnectTimeoutSeconds
                == 5
        )
        #expect(PostgresConfiguration(connectTimeoutSeconds: nil).effectiveConnectTimeoutSeconds == nil)
    }
}
