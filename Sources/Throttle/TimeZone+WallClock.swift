import Foundation

/// Wall-clock readings in a zone, resolved to instants with the throttle's rules for daylight-saving changes.
extension TimeZone {
    /// The local reading at `instant`, in seconds since 1970-01-01T00:00 local.
    func wallSeconds(at instant: Date) -> Int64 {
        let seconds = Int64(instant.timeIntervalSince1970.rounded(.down))
        return seconds + Int64(offset(atSecond: seconds))
    }

    /// The instant a local reading denotes. A reading that happens twice (clocks set back) denotes its first
    /// occurrence; one that never happens (clocks set forward) denotes the instant the clocks jump, the first that
    /// exists after it: a window from 02:30 on a day 02:00 jumps to 03:00 starts at 03:00.
    func instant(atWallSeconds wall: Int64) -> Date {
        let offsetBefore = Int64(offset(atSecond: wall - 86_400))
        let offsetAfter = Int64(offset(atSecond: wall + 86_400))
        let candidates = [wall - offsetBefore, wall - offsetAfter].filter { wall - Int64(offset(atSecond: $0)) == $0 }
        if let first = candidates.min() {
            return Date(timeIntervalSince1970: TimeInterval(first))
        }
        // In a gap: the offset moved from `offsetBefore` to a larger `offsetAfter` at an instant between these two.
        var low = wall - offsetAfter
        var high = wall - offsetBefore
        while high - low > 1 {
            let middle = low + (high - low) / 2
            if Int64(offset(atSecond: middle)) == offsetBefore {
                low = middle
            } else {
                high = middle
            }
        }
        return Date(timeIntervalSince1970: TimeInterval(high))
    }

    private func offset(atSecond second: Int64) -> Int {
        secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(second)))
    }
}
