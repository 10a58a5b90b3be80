import ArgumentParser

@main
struct SluiceCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sluice",
        abstract: "Runs Neo4j graph migrations as resumable, throttled batch jobs."
    )
}
