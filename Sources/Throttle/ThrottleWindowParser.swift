import Foundation

/// Reads the one-line rule form documented on `ThrottleWindow`, left to right, reporting the column of the first
/// token it cannot accept.
struct ThrottleWindowParser {
    private let characters: [Character]
    private var position = 0

    init(_ text: String) {
        characters = Array(text)
    }

    mutating func parse() throws(ThrottleWindowError) -> ThrottleWindow {
        let name = try parseName()
        skipSpaces()
        let days = try parseDays()
        skipSpaces()
        let (start, end) = try parseTimes()
        skipSpaces()
        let (timeZone, zoneName) = try parseZone()
        skipSpaces()
        guard peek == ":" else { throw error(.expectedColon(found: token())) }
        position += 1
        skipSpaces()
        let action = try parseAction()
        skipSpaces()
        guard position == characters.count else { throw error(.unexpectedText(String(characters[position...]))) }
        return ThrottleWindow(
            name: name,
            days: days,
            start: start,
            end: end,
            timeZone: timeZone,
            zoneName: zoneName,
            action: action
        )
    }

    // MARK: - Parts

    private mutating func parseName() throws(ThrottleWindowError) -> String? {
        guard let equals = characters.firstIndex(of: "=") else { return nil }
        let name = String(characters[..<equals]).trimmingCharacters(in: .whitespaces)
        guard !name.isEmpty else { throw ThrottleWindowError(column: equals + 1, reason: .emptyName) }
        position = equals + 1
        return name
    }

    private mutating func parseDays() throws(ThrottleWindowError) -> Set<Weekday> {
        let column = position
        let first = word()
        if first.lowercased() == "daily" {
            return Set(Weekday.allCases)
        }
        position = column
        var days: Set<Weekday> = []
        while true {
            let from = try day()
            if peek == "-", position + 1 < characters.count, characters[position + 1].isLetter {
                position += 1
                days.formUnion(from.through(try day()))
            } else {
                days.insert(from)
            }
            skipSpaces()
            guard peek == "," else { return days }
            position += 1
            skipSpaces()
        }
    }

    private mutating func day() throws(ThrottleWindowError) -> Weekday {
        let column = position
        let name = word()
        guard let day = Weekday(name: name) else {
            position = column
            throw error(.expectedDay(found: name.isEmpty ? token() : name))
        }
        return day
    }

    private mutating func parseTimes() throws(ThrottleWindowError) -> (TimeOfDay, TimeOfDay) {
        let startColumn = position
        let start = try time()
        guard start != .endOfDay else { throw ThrottleWindowError(column: startColumn + 1, reason: .startsAtEndOfDay) }
        skipSpaces()
        guard peek == "-" else { throw error(.expectedDash(found: token())) }
        position += 1
        skipSpaces()
        let endColumn = position
        let end = try time()
        guard end != start else { throw ThrottleWindowError(column: endColumn + 1, reason: .emptyWindow(start)) }
        return (start, end)
    }

    private mutating func time() throws(ThrottleWindowError) -> TimeOfDay {
        let column = position
        let hours = run(while: Self.isDigit)
        let hasColon = peek == ":"
        if hasColon { position += 1 }
        let minutes = run(while: Self.isDigit)
        guard (1...2).contains(hours.count), hasColon, minutes.count == 2 else {
            position = column
            throw error(.expectedTime(found: token()))
        }
        guard let time = TimeOfDay(hour: Int(hours)!, minute: Int(minutes)!) else {
            throw ThrottleWindowError(column: column + 1, reason: .invalidTime("\(hours):\(minutes)"))
        }
        return time
    }

    private mutating func parseZone() throws(ThrottleWindowError) -> (TimeZone, String) {
        let column = position
        let name = run { !$0.isWhitespace && $0 != ":" }
        guard !name.isEmpty else { throw error(.expectedTimeZone(found: token())) }
        guard let zone = TimeZone(identifier: name) else {
            let lowered = name.lowercased()
            let suggestion = (TimeZone.knownTimeZoneIdentifiers + ["UTC"]).first { $0.lowercased() == lowered }
            throw ThrottleWindowError(column: column + 1, reason: .unknownTimeZone(name, suggestion: suggestion))
        }
        return (zone, name)
    }

    private mutating func parseAction() throws(ThrottleWindowError) -> ThrottleAction {
        var column = position
        var keyword = word().lowercased()
        if keyword == "pause" {
            return .pause
        }
        var rate: Int?
        var batch: Int?
        while true {
            guard keyword == "max" else {
                position = column
                throw error(.expectedAction(found: token()))
            }
            skipSpaces()
            let afterMax = position
            if word().lowercased() == "batch" {
                skipSpaces()
                let value = try number()
                guard batch == nil else {
                    throw ThrottleWindowError(column: column + 1, reason: .repeatedLimit("max batch"))
                }
                batch = value
            } else {
                position = afterMax
                let value = try number()
                skipSpaces()
                let unitColumn = position
                let unit = run { $0.isLetter || $0 == "/" }
                guard ["items/s", "nodes/s", "relationships/s"].contains(unit.lowercased()) else {
                    position = unitColumn
                    throw error(.expectedUnit(found: unit.isEmpty ? token() : unit))
                }
                guard rate == nil else {
                    throw ThrottleWindowError(column: column + 1, reason: .repeatedLimit("max items/s"))
                }
                guard value <= ThrottleConfiguration.maximumItemsPerSecond else {
                    throw ThrottleWindowError(column: afterMax + 1, reason: .rateTooHigh(value))
                }
                rate = value
            }
            skipSpaces()
            guard peek == "," else { return .limit(maxItemsPerSecond: rate, maxBatchSize: batch) }
            position += 1
            skipSpaces()
            column = position
            keyword = word().lowercased()
        }
    }

    /// Digits, optionally in groups of three after `,` or `_`; a `,` not followed by exactly three digits ends the
    /// number (it separates limits).
    private mutating func number() throws(ThrottleWindowError) -> Int {
        let column = position
        var digits = run(while: Self.isDigit)
        while let separator = peek, separator == "," || separator == "_", groupOfThree(at: position + 1) {
            position += 1
            digits += run(while: Self.isDigit)
        }
        let malformed =
            peek == "_" || (peek == "," && position + 1 < characters.count && Self.isDigit(characters[position + 1]))
        guard !digits.isEmpty, !malformed, let value = Int(digits) else {
            position = column
            throw error(.expectedNumber(found: token()))
        }
        guard value > 0 else { throw ThrottleWindowError(column: column + 1, reason: .zeroLimit) }
        return value
    }

    private func groupOfThree(at index: Int) -> Bool {
        let end = index + 3
        guard end <= characters.count, characters[index..<end].allSatisfy(Self.isDigit) else { return false }
        return end == characters.count || !Self.isDigit(characters[end])
    }

    // MARK: - Characters

    private static func isDigit(_ character: Character) -> Bool {
        ("0"..."9").contains(character)
    }

    private var peek: Character? {
        position < characters.count ? characters[position] : nil
    }

    private mutating func skipSpaces() {
        _ = run { $0 == " " || $0 == "\t" }
    }

    private mutating func word() -> String {
        run(while: \.isLetter)
    }

    private mutating func run(while accepts: (Character) -> Bool) -> String {
        let start = position
        while position < characters.count, accepts(characters[position]) {
            position += 1
        }
        return String(characters[start..<position])
    }

    /// The text at the current position up to the next space, for error messages.
    private func token() -> String {
        var end = position
        while end < characters.count, !characters[end].isWhitespace {
            end += 1
        }
        return String(characters[position..<end])
    }

    private func error(_ reason: ThrottleWindowError.Reason) -> ThrottleWindowError {
        ThrottleWindowError(column: position + 1, reason: reason)
    }
}
