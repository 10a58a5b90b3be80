import ArgumentParser
import Engine

/// `--skip-preflight CHECK`, for `run` and `enqueue` alike: an operator who knows why a check refuses a job (a
/// deliberate backfill over `max_items`, a server that cannot list its indexes) skips that one check by name, never
/// all at once.
struct PreflightOptions: ParsableArguments {
    @Option(
        name: .customLong("skip-preflight"),
        help: ArgumentHelp(
            "Skip one pre-flight check (repeat for more): \(PreflightOptions.known).",
            valueName: "check"
        )
    )
    var names: [String] = []

    private static var known: String { PreflightCheck.allCases.map(\.rawValue).joined(separator: ", ") }

    func validate() throws {
        for name in names where PreflightCheck(rawValue: name) == nil {
            throw ValidationError("unknown pre-flight check '\(name)' (known: \(Self.known))")
        }
    }

    /// The checks to skip.
    var checks: Set<PreflightCheck> { Set(names.compactMap(PreflightCheck.init(rawValue:))) }
}
