import Foundation

/// `Date("2026-03-29T01:00:00Z")`, for readable tests (a malformed literal is a bug in the test).
extension Date {
    init(_ iso8601: String) {
        let formatter = ISO8601DateFormatter()
        guard let date = formatter.date(from: iso8601) else { fatalError("not an ISO 8601 date: \(iso8601)") }
        self = date
    }

    var iso8601: String {
        ISO8601DateFormatter().string(from: self)
    }
}
