import Daemon
import Engine
import Foundation
import JobStore
import Synchronization
import Throttle

/// Shows a job's progress: a redrawn bar on a terminal, a plain line every few seconds otherwise.
///
/// `sluice run` feeds it the engine's progress after each batch (the rate measured here); `sluice status --watch`
/// feeds it the job as the job store has it (the rate measured there).
final class ProgressDisplay: Sendable {
    /// What one progress line shows.
    struct Snapshot: Sendable, Equatable {
        var done: Int64
        /// `nil` while the job is being planned.
        var total: Int64?
        /// Items per second; `nil` when not known (yet).
        var rate: Double?
        var batchSize: Int?
        /// Why the job runs slower than it could, when it does.
        var throttle: String?
        var quarantined: Int64 = 0
        /// The job's state when it is not simply running (`queued`, `planning`, `paused`...).
        var state: String?
    }

    private struct State {
        var lastLine = ContinuousClock.now
        var started = ContinuousClock.now
        var startDone: Int64?
        var drawn = false
        /// The kind of the last throttle reason shown, so a change is drawn at once.
        var throttle: ThrottleReason.Kind?
    }

    private let title: String
    private let handle: FileHandle
    private let isTerminal: Bool
    private let state = Mutex(State())

    /// - Parameter handle: where to draw: standard error for `run` (its result goes to standard output), standard
    ///   output for `status`, whose output the bar is.
    init(title: String, handle: FileHandle = .standardError) {
        self.title = title
        self.handle = handle
        self.isTerminal = isatty(handle.fileDescriptor) == 1
    }

    /// After a batch of `sluice run`, and when its throttle changes: the rate is measured from the first update this
    /// display saw, once a second has passed (before, it is one batch over the time it took, without the pause a rate
    /// cap puts after it: several times the cap). A new throttle reason is drawn at once.
    func update(_ progress: JobRunner.Progress) {
        let (rate, throttleChanged): (Double?, Bool) = state.withLock { state in
            let now = ContinuousClock.now
            if state.startDone == nil {
                state.startDone = progress.done
                state.started = now
            }
            let elapsed = (now - state.started).seconds
            let changed = progress.throttle?.reason.kind != state.throttle
            state.throttle = progress.throttle?.reason.kind
            return (elapsed >= 1 ? Double(progress.done - (state.startDone ?? 0)) / elapsed : nil, changed)
        }
        let throttle = progress.throttle.flatMap { $0.state == .running ? nil : "\($0.reason)" }
        show(
            Snapshot(
                done: progress.done,
                total: progress.total,
                rate: rate,
                batchSize: progress.batchSize,
                throttle: throttle
            ),
            force: throttleChanged
        )
    }

    /// Draws `snapshot`: at once on a terminal; otherwise at most every 5 seconds, unless `force` or the job is done.
    func show(_ snapshot: Snapshot, force: Bool = false) {
        let due: Bool = state.withLock { state in
            let now = ContinuousClock.now
            guard isTerminal || force || now - state.lastLine >= .seconds(5) || snapshot.done == snapshot.total else {
                return false
            }
            state.lastLine = now
            state.drawn = true
            return true
        }
        guard due else { return }
        let line = Self.format(title: title, snapshot: snapshot, bar: isTerminal)
        handle.write(Data((isTerminal ? "\r\u{1B}[K" + line : line + "\n").utf8))
    }

    /// Ends the redrawn line (on a terminal) so that what follows starts on a line of its own.
    func finish() {
        let drawn = state.withLock { state in
            defer { state.drawn = false }
            return state.drawn
        }
        if isTerminal, drawn {
            handle.write(Data("\n".utf8))
        }
    }

    static func format(title: String, snapshot: Snapshot, bar: Bool) -> String {
        var parts: [String]
        if let total = snapshot.total {
            let fraction = total > 0 ? min(1, Double(snapshot.done) / Double(total)) : 1
            parts = [
                "\(title): \(ProgressText.count(snapshot.done))/\(ProgressText.count(total)) (\(Int(fraction * 100))%)"
            ]
            if bar {
                let width = 30
                let filled = Int(fraction * Double(width))
                parts.insert(
                    "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]",
                    at: 0
                )
            }
        } else {
            parts = [title]
        }
        if let state = snapshot.state {
            parts.append(state)
        }
        if let rate = snapshot.rate {
            parts.append("\(ProgressText.count(Int64(rate.rounded()))) items/s")
            if let total = snapshot.total, rate > 0, snapshot.done < total {
                parts.append("ETA \(ProgressText.duration(seconds: Double(total - snapshot.done) / rate))")
            }
        }
        if let batchSize = snapshot.batchSize {
            parts.append("batch \(ProgressText.count(batchSize))")
        }
        if let throttle = snapshot.throttle {
            parts.append("throttled: \(throttle)")
        }
        if snapshot.quarantined > 0 {
            parts.append("\(ProgressText.count(snapshot.quarantined)) quarantined")
        }
        return parts.joined(separator: "  ")
    }
}
