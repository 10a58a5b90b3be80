import ArgumentParser
import Foundation
import Throttle

/// The throttle's time windows given on the command line: `--window RULE` (repeatable) and `--windows-file FILE`,
/// shared by `sluice schedule` (which shows them) and `sluice run` (which follows them). Either replaces the
/// configuration's `[throttle] windows`.
struct WindowOptions: ParsableArguments {
    @Option(
        name: .customLong("window"),
        help: ArgumentHelp(
            "A time-window rule; repeatable (default: the configuration's [throttle] windows).",
            valueName: "RULE"
        )
    )
    var rules: [String] = []

    @Option(help: ArgumentHelp("A file of rules, one per line; '#' starts a comment.", valueName: "FILE"))
    var windowsFile: String?

    /// The file's rules, then the flags', or a one-line error naming the file and line or the flag; `configured`
    /// (read only then) when neither is given.
    func loadSchedule(configured: @autoclosure () throws -> ThrottleSchedule) throws -> ThrottleSchedule {
        guard windowsFile != nil || !rules.isEmpty else { return try configured() }
        var windows: [ThrottleWindow] = []
        if let windowsFile {
            guard FileManager.default.isReadableFile(atPath: windowsFile),
                let contents = try? String(contentsOfFile: windowsFile, encoding: .utf8)
            else {
                throw CommandError("cannot read windows file '\(windowsFile)': missing, unreadable or not UTF-8")
            }
            do {
                windows += try ThrottleSchedule(parsingLines: contents).windows
            } catch {
                throw CommandError("\(windowsFile), \(error)")
            }
        }
        for rule in rules {
            do {
                windows.append(try ThrottleWindow(parsing: rule))
            } catch {
                throw CommandError("--window '\(rule)': \(error)")
            }
        }
        return ThrottleSchedule(windows)
    }
}
