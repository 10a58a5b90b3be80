import ArgumentParser
import Foundation
import Throttle

/// `sluice schedule`: shows the throttle's time windows and when the limits they impose change, so an operator can
/// check a rule (its zone, its daylight-saving changes, its overlaps) before the daemon follows it.
struct ScheduleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "schedule",
        abstract: "Print the throttle's time windows and the coming changes of limit.",
        discussion: """
            A rule is one line: [NAME =] DAYS HH:MM-HH:MM ZONE: ACTION, where DAYS are Mon..Sun, ranges (Mon-Fri) \
            and lists (Sat,Sun) or "daily", ZONE an IANA time zone, and ACTION "pause" or limits ("max N items/s", \
            "max batch N", separated by commas). A window whose end is not after its start crosses midnight and \
            belongs to the day it starts on. Where windows overlap, the strictest wins. Without --window or \
            --windows-file, the windows shown are the configuration's [throttle] windows, those the daemon follows.

            Examples:
              sluice schedule --window "shop = Mon-Fri 09:00-18:00 Europe/Berlin: max 2,000 items/s"
              sluice schedule --window "Sat,Sun 00:00-24:00 UTC: pause" --time-zone Europe/Berlin
              sluice schedule --windows-file windows.txt --from 2026-03-23 --days 14 --json
              sluice schedule --config /etc/sluice/sluice.toml
            """
    )

    @OptionGroup var windows: WindowOptions
    @OptionGroup var file: ConfigFileOptions

    @Option(
        help: ArgumentHelp(
            "The instant to start from, in ISO 8601 (2026-03-23T09:00:00Z, or a date: its midnight in --time-zone); "
                + "default now.",
            valueName: "ISO8601"
        )
    )
    var from: String?

    @Option(help: "How many days ahead to list changes.")
    var days = 7

    @Option(help: ArgumentHelp("The time zone to print instants in.", valueName: "ZONE"))
    var timeZone = "UTC"

    @Flag(help: "Print the windows and changes as one JSON object.")
    var json = false

    func validate() throws {
        guard (1...366).contains(days) else {
            throw ValidationError("--days must be between 1 and 366")
        }
    }

    func run() throws {
        let schedule = try windows.loadSchedule(configured: try file.daemonConfiguration().throttle.schedule)
        guard let zone = TimeZone(identifier: timeZone) else {
            throw CommandError("unknown time zone '\(timeZone)' for --time-zone")
        }
        let start = try startInstant(in: zone)
        let end = start.addingTimeInterval(TimeInterval(days) * 86_400)
        let transitions = schedule.transitions(from: start, to: end)
        let printer = InstantPrinter(zone: zone)
        var output = StandardOutput()
        if json {
            output.write(
                try jsonText(schedule: schedule, start: start, end: end, transitions: transitions, printer: printer)
            )
        } else {
            output.write(text(schedule: schedule, start: start, transitions: transitions, printer: printer))
        }
    }

    // MARK: - Input

    /// `--from`, or now; a date alone is its midnight in `zone`.
    private func startInstant(in zone: TimeZone) throws -> Date {
        guard let from else { return Date() }
        let formats: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime], [.withInternetDateTime, .withFractionalSeconds], [.withFullDate],
        ]
        for options in formats {
            let formatter = ISO8601DateFormatter()
            formatter.formatOptions = options
            formatter.timeZone = zone
            if let date = formatter.date(from: from) {
                return date
            }
        }
        throw CommandError("--from '\(from)' is not an ISO 8601 instant (2026-03-23T09:00:00Z) or date (2026-03-23)")
    }

    // MARK: - Output

    private func text(
        schedule: ThrottleSchedule,
        start: Date,
        transitions: [ThrottleTransition],
        printer: InstantPrinter
    ) -> String {
        guard !schedule.windows.isEmpty else {
            return "No time windows: nothing limits the throttle by the clock.\n"
        }
        var lines = ["Windows:"]
        lines += schedule.windows.map { "  \($0)" }
        lines.append("")
        lines.append("From \(printer.string(start)) for \(days == 1 ? "1 day" : "\(days) days"):")
        lines.append("  \(printer.string(start))  \(printer.weekday(start))  \(schedule.cap(at: start))")
        lines += transitions.map { "  \(printer.string($0.instant))  \(printer.weekday($0.instant))  \($0.cap)" }
        if transitions.isEmpty {
            lines.append("  (no changes)")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func jsonText(
        schedule: ThrottleSchedule,
        start: Date,
        end: Date,
        transitions: [ThrottleTransition],
        printer: InstantPrinter
    ) throws -> String {
        let document = ScheduleDocument(
            from: printer.string(start),
            to: printer.string(end),
            windows: schedule.windows.map { ScheduleDocument.Window(name: $0.name, rule: "\($0)") },
            initial: ScheduleDocument.Cap(schedule.cap(at: start)),
            transitions: transitions.map {
                ScheduleDocument.Transition(at: printer.string($0.instant), cap: ScheduleDocument.Cap($0.cap))
            }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(document), as: UTF8.self) + "\n"
    }
}

/// Instants as ISO 8601 in the zone asked for, with the weekday there.
private struct InstantPrinter {
    private let formatter = ISO8601DateFormatter()
    private var calendar = Calendar(identifier: .gregorian)

    init(zone: TimeZone) {
        formatter.timeZone = zone
        calendar.timeZone = zone
    }

    func string(_ instant: Date) -> String {
        formatter.string(from: instant)
    }

    func weekday(_ instant: Date) -> String {
        ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"][calendar.component(.weekday, from: instant) - 1]
    }
}

/// The `--json` output: field names are part of the interface scripts rely on.
private struct ScheduleDocument: Encodable {
    struct Window: Encodable {
        var name: String?
        var rule: String
    }

    struct Limit: Encodable {
        var value: Int
        var window: String

        init?(_ limit: ThrottleLimit?) {
            guard let limit else { return nil }
            value = limit.value
            window = limit.window.label
        }
    }

    struct Cap: Encodable {
        var paused: Bool
        var pausedBy: String?
        var maxItemsPerSecond: Limit?
        var maxBatchSize: Limit?
        var description: String

        init(_ cap: ThrottleCap) {
            paused = cap.isPaused
            pausedBy = cap.pausedBy?.label
            maxItemsPerSecond = Limit(cap.maxItemsPerSecond)
            maxBatchSize = Limit(cap.maxBatchSize)
            description = "\(cap)"
        }
    }

    struct Transition: Encodable {
        var at: String
        var cap: Cap
    }

    var from: String
    var to: String
    var windows: [Window]
    var initial: Cap
    var transitions: [Transition]
}
