import Foundation
import Testing

/// Commands run as the built executable where no server is needed: the configuration, the environment and the
/// command line they read, and how they refuse what is wrong (one line, non-zero, nothing done).
@Suite struct OfflineCommandTests {
    /// Runs `sluice ARGUMENTS` in a temporary folder with `environment` alone (no `SLUICE_*`, no `PG*` besides).
    static func sluice(_ arguments: [String], environment: [String: String] = [:]) async throws -> ProcessRun {
        let executable = try #require(JobStoreIntegrationTests.sluiceExecutable(), "build sluice first")
        var bare = ["PATH": "/usr/bin:/bin", "HOME": FileManager.default.temporaryDirectory.path]
        bare.merge(environment) { _, new in new }
        return try await ProcessRun.run(URL(fileURLWithPath: executable), arguments, environment: bare)
    }

    /// A failure as the project wants it: non-zero, one line `sluice: error: ...` containing `fragment`.
    static func isOneLineError(_ run: ProcessRun, containing fragment: String) -> Bool {
        run.status != 0 && run.errors.hasPrefix("sluice: error: ") && run.errors.filter { $0 == "\n" }.count == 1
            && run.errors.contains(fragment)
    }

    /// Without a configuration file, a command reads the daemon's variables as the daemon does; each was ignored by
    /// some command before (the schema by the job-store commands, the password file and dialect by graph commands).
    @Test func withoutAFileTheDaemonsVariablesStillApply() async throws {
        let cases: [([String], [String: String], String)] = [
            (
                ["jobs"], ["SLUICE_POSTGRES_SCHEMA": "Not_Lower"],
                "environment SLUICE_POSTGRES_SCHEMA: [postgres] schema"
            ),
            (
                ["cypher", "RETURN 1"], ["SLUICE_BOLT_PASSWORD_FILE": "/nonexistent/bolt-password"],
                "environment SLUICE_BOLT_PASSWORD_FILE: [graph] password_file"
            ),
            (["cypher", "RETURN 1"], ["SLUICE_BOLT_DIALECT": "oracle"], "environment SLUICE_BOLT_DIALECT"),
        ]
        for (arguments, environment, fragment) in cases {
            let run = try await Self.sluice(arguments, environment: environment)
            #expect(Self.isOneLineError(run, containing: fragment), "\(arguments): \(run.status) \(run.errors)")
        }
    }
}
