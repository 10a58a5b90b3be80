import Testing

@testable import JobStore

@Suite struct PostgresConnInfoTests {
    @Test func redactsKeywordValuePasswords() {
        #expect(
            PostgresConnInfo.redacted("host=db port=5432 password=s3cret dbname=sluice")
                == "host=db port=5432 password=*** dbname=sluice"
        )
        #expect(PostgresConnInfo.redacted("password = 'it\\'s a secret' user=x") == "password = *** user=x")
        #expect(PostgresConnInfo.redacted("PASSWORD=abc\\ def host=h") == "PASSWORD=*** host=h")
        #expect(PostgresConnInfo.redacted("host=h") == "host=h")
        // A word ending in "password" is not the keyword.
        #expect(PostgresConnInfo.redacted("oldpassword=x") == "oldpassword=x")
    }

    @Test func redactsURLPasswords() {
        #expect(
            PostgresConnInfo.redacted("postgresql://sluice:p%40ss@127.0.0.1:54329/sluice?sslmode=require")
                == "postgresql://sluice:***@127.0.0.1:54329/sluice?sslmode=require"
        )
        #expect(
            PostgresConnInfo.redacted("postgres://u@h/db?password=abc&sslmode=disable")
                == "postgres://u@h/db?password=***&sslmode=disable"
        )
        #expect(PostgresConnInfo.redacted("postgresql://u@h/db") == "postgresql://u@h/db")
        #expect(PostgresConnInfo.redacted("postgresql:///db?host=/tmp") == "postgresql:///db?host=/tmp")
    }

    @Test func scrubMasksTheLiteralPasswordAnywhereInAMessage() {
        let conninfo = "host=h password=hunter2-long"
        let message = "missing \"=\" after \"hunter2-long\" in connection info string"
        let scrubbed = PostgresConnInfo.scrub(message, conninfo: conninfo, environment: [:])
        #expect(!scrubbed.contains("hunter2-long"))
        #expect(scrubbed.contains("***"))
    }

    @Test func scrubMasksPercentDecodedURLPasswordsAndPGPASSWORD() {
        let conninfo = "postgresql://sluice:p%40ssword@h/db"
        let scrubbed = PostgresConnInfo.scrub(
            "echo p@ssword and env-secret-9",
            conninfo: conninfo,
            environment: ["PGPASSWORD": "env-secret-9"]
        )
        #expect(scrubbed == "echo *** and ***")
    }

    @Test func scrubMasksAURLPasswordLibpqCannotDecode() {
        let conninfo = "postgresql://bob:pg%zzsecret@127.0.0.1:1/x"
        let scrubbed = PostgresConnInfo.scrub(
            "invalid percent-encoded token: \"pg%zzsecret\"",
            conninfo: conninfo,
            environment: [:]
        )
        #expect(scrubbed == "invalid percent-encoded token: \"***\"")
    }

    @Test func errorsAreOneLine() {
        let error = PostgresError.connectionFailed(message: "line one\nline two\n")
        #expect(error.description == "cannot connect to Postgres: line one; line two")
    }
}
