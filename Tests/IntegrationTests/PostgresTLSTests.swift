import Foundation
import Testing

/// The job store over TLS as an operator would configure it: `sslmode=verify-full` with the CA that signed the
/// server's certificate, through libpq, against the shared cluster (scripts/services gives it a certificate for
/// `localhost` from the test CA). Another CA, or a host name the certificate does not name, is refused with one line
/// and a non-zero exit, before any password is sent.
@Suite(.enabled(if: JobStoreTestDatabase.shouldRun()))
struct PostgresTLSTests {
    @Test func verifyFullConnectsWithItsCAAndRefusesAnotherCAOrHostName() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let ca = environment["SLUICE_TEST_PG_TLS_CA"], let otherCA = environment["SLUICE_TEST_PG_TLS_OTHER_CA"],
            let port = PostgresTestCluster.shared.port, let password = environment["SLUICE_TEST_PG_PASSWORD"]
        else {
            let reason = "SLUICE_TEST_PG_TLS_CA/SLUICE_TEST_PG_TLS_OTHER_CA not set: run the tests through scripts/test"
            if environment["CI"] == "true" { Issue.record(Comment(rawValue: reason)) }
            return print("verifyFull skipped: \(reason)")
        }
        // Only what the conninfo says: no PGHOST or socket to fall back on, the password where libpq reads it.
        let child = ["PATH": "/usr/bin:/bin", "PGPASSWORD": password]
        func status(_ conninfo: String) async throws -> ProcessRun {
            try await CypherCommandTests.sluice(
                [
                    "db", "status", "--postgres",
                    "port=\(port) user=sluice dbname=sluice sslmode=verify-full " + conninfo,
                ],
                environment: child
            )
        }

        let verified = try await status("host=localhost sslrootcert=\(ca)")
        #expect(verified.status == 0, "verify-full with the right CA: \(verified.errors)")
        #expect(verified.output.contains(/encrypted with TLSv1\.[23]/), "\(verified.output)")
        print("sslmode=verify-full: \(verified.output.split(separator: "\n").first ?? "")")

        let plain = try await CypherCommandTests.sluice(
            ["db", "status", "--postgres", "host=127.0.0.1 port=\(port) user=sluice dbname=sluice sslmode=disable"],
            environment: child
        )
        #expect(plain.status == 0, "\(plain.errors)")
        #expect(plain.output.contains("not encrypted"), "\(plain.output)")

        let refusals = [
            ("another CA", "host=localhost sslrootcert=\(otherCA)", "certificate verify failed"),
            (
                "another host name", "host=not-localhost.invalid hostaddr=127.0.0.1 sslrootcert=\(ca)",
                "does not match host name \"not-localhost.invalid\""
            ),
        ]
        for (what, conninfo, reason) in refusals {
            let refused = try await status(conninfo)
            #expect(refused.status != 0, "\(what) was accepted: \(refused.output)")
            #expect(refused.errorMessages.count == 1, "\(what): not one line: \(refused.errors)")
            #expect(refused.errors.contains(reason), "\(what): \(refused.errors)")
            #expect(!refused.errors.contains(password), "\(what): the password in the error")
            print("sslmode=verify-full with \(what): \(refused.errors.trimmingCharacters(in: .newlines))")
        }
    }
}
