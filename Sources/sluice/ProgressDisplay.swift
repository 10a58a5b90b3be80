import Daemon
import Engine
import Foundation
import Synchronization

/// Shows a job's progress: a redrawn bar on a terminal, a plain line every few seconds otherwise.
final class ProgressDisplay: Sendable {
    private struct State {
        var lastLine = ContinuousClock.now
        var started = ContinuousClock.now
        var startDone: Int64?
        var drawn = false
    }

    private let title: String
    private let isTerminal = isatty(STDERR_FILENO) == 1
    private let state = Mutex(State())

    init(title: String) {
        self.title = title
    }

    func update(_ progress: JobRunner.Progress) {
        let line: String? = state.withLock { state in
            let now = ContinuousClock.now
            if state.startDone == nil {
                state.startDone = progress.done
                state.started = now
            }
            guard isTerminal || now - state.lastLine >= .seconds(5) || progress.done == progress.total else {
                return nil
            }
            state.lastLine = now
            state.drawn = true
            let elapsed =
                Double((now - state.started).components.seconds) + Double((now - state.started).components.attoseconds)
                / 1e18
            let rate = elapsed > 0 ? Double(progress.done - (state.startDone ?? 0)) / elapsed : 0
            return Self.format(title: title, progress: progress, rate: rate, bar: isTerminal)
        }
        guard let line else { return }
        FileHandle.standardError.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    func finish() {
        if isTerminal, state.withLock({ $0.drawn }) {
            FileHandle.standardError.write(Data("\n".utf8))
        }
    }

    static func format(title: String, progress: JobRunner.Progress, rate: Double, bar: Bool) -> String {
        let fraction = progress.total > 0 ? Double(progress.done) / Double(progress.total) : 1
        let percent = Int(fraction * 100)
        var parts = [
            "\(title): \(ProgressText.count(progress.done))/\(ProgressText.count(progress.total)) (\(percent)%)"
        ]
        if bar {
            let width = 30
            let filled = Int(fraction * Double(width))
            parts.insert(
                "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]",
                at: 0
            )
        }
        parts.append("\(ProgressText.count(Int64(rate))) items/s")
        if rate > 0, progress.done < progress.total {
            parts.append("ETA \(ProgressText.duration(seconds: Double(progress.total - progress.done) / rate))")
        }
        parts.append("batch \(ProgressText.count(progress.batchSize))")
        return parts.joined(separator: "  ")
    }
}
