import ArgumentParser
import Foundation
import JobStore

/// `sluice db migrate`: creates or upgrades the job store's schema (idempotent; safe while daemons run, which
/// migrate at start under the same advisory lock).
struct DBMigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate",
        abstract: "Create or upgrade the job store schema in Postgres; prints its version."
    )

    @OptionGroup var db: DBOptions

    @Flag(help: "Print the result as JSON.")
    var json = false

    func run() async throws {
        let store = try await db.openStore()
        let result: (from: Int, to: Int)
        do {
            result = try await store.migrate()
            await store.close()
        } catch {
            throw CommandError("\(error)")
        }
        var output = StandardOutput()
        if json {
            let object: [String: Any] = ["schema": store.schema.name, "from": result.from, "version": result.to]
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            output.write(String(decoding: data, as: UTF8.self) + "\n")
        } else if result.from == result.to {
            output.write("schema \(store.schema.name): version \(result.to), already up to date\n")
        } else if result.from == 0 {
            output.write("schema \(store.schema.name): created at version \(result.to)\n")
        } else {
            output.write("schema \(store.schema.name): upgraded from version \(result.from) to \(result.to)\n")
        }
    }
}
