import Foundation

/// Parsers and printers for Postgres's text formats: timestamps, arrays, `bytea` hex.
///
/// Pure functions, so they are unit-tested without a server. Sessions are set to `TimeZone=UTC` and
/// `DateStyle=ISO` on connect, but the timestamp parser accepts any ISO offset.
enum PostgresTextCodec {
    // MARK: timestamps

    /// Parses `2024-05-01 12:34:56.123456+00` (also `T` as separator, offsets `+05:30`, `-08`, and `±infinity`).
    static func parseTimestamp(_ text: String) -> Date? {
        if text == "infinity" { return .distantFuture }
        if text == "-infinity" { return .distantPast }
        let bytes = Array(text.utf8)
        var i = 0
        func number(_ digits: Int) -> Int? {
            guard i + digits <= bytes.count else { return nil }
            var value = 0
            for _ in 0..<digits {
                let b = bytes[i]
                guard b >= 48 && b <= 57 else { return nil }
                value = value * 10 + Int(b - 48)
                i += 1
            }
            return value
        }
        func expect(_ c: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == c else { return false }
            i += 1
            return true
        }
        // Year: four or more digits.
        var yearDigits = 0
        while i + yearDigits < bytes.count, bytes[i + yearDigits] >= 48, bytes[i + yearDigits] <= 57 { yearDigits += 1 }
        guard yearDigits >= 4, let year = number(yearDigits), expect(45), let month = number(2), expect(45),
            let day = number(2)
        else { return nil }
        guard i < bytes.count, bytes[i] == 32 || bytes[i] == 84 else {
            // A bare date is midnight UTC.
            return i == bytes.count ? date(year, month, day, 0, 0, 0, 0, 0) : nil
        }
        i += 1
        guard let hour = number(2), expect(58), let minute = number(2), expect(58), let second = number(2) else {
            return nil
        }
        var nanos = 0
        if i < bytes.count, bytes[i] == 46 {
            i += 1
            var scale = 100_000_000
            while i < bytes.count, bytes[i] >= 48, bytes[i] <= 57 {
                nanos += Int(bytes[i] - 48) * scale
                scale /= 10
                i += 1
            }
        }
        var offset = 0
        if i < bytes.count {
            let sign: Int
            switch bytes[i] {
            case 43: sign = 1
            case 45: sign = -1
            case 90:
                i += 1
                sign = 0  // "Z"
            default: return nil
            }
            if sign != 0 {
                i += 1
                guard let oh = number(2) else { return nil }
                var om = 0
                var os = 0
                if expect(58) {
                    guard let m = number(2) else { return nil }
                    om = m
                    if expect(58) {
                        guard let s = number(2) else { return nil }
                        os = s
                    }
                }
                offset = sign * (oh * 3600 + om * 60 + os)
            }
        }
        guard i == bytes.count else { return nil }
        return date(year, month, day, hour, minute, second, nanos, offset)
    }

    private static func date(
        _ year: Int,
        _ month: Int,
        _ day: Int,
        _ hour: Int,
        _ minute: Int,
        _ second: Int,
        _ nanos: Int,
        _ offset: Int
    ) -> Date? {
        guard (1...12).contains(month), (1...31).contains(day), hour < 25, minute < 60, second < 61 else { return nil }
        let days = daysFromCivil(year, month, day)
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Date(timeIntervalSince1970: Double(seconds) + Double(nanos) / 1e9)
    }

    /// `2024-05-01 12:34:56.123456+00`: microsecond precision, UTC, accepted by any `DateStyle`.
    static func formatTimestamp(_ date: Date) -> String {
        if date == .distantFuture { return "infinity" }
        if date == .distantPast { return "-infinity" }
        let totalMicros = (date.timeIntervalSince1970 * 1_000_000).rounded()
        var micros = Int64(totalMicros)
        var seconds = micros / 1_000_000
        micros %= 1_000_000
        if micros < 0 {
            micros += 1_000_000
            seconds -= 1
        }
        var days = seconds / 86_400
        var secondOfDay = seconds % 86_400
        if secondOfDay < 0 {
            secondOfDay += 86_400
            days -= 1
        }
        let (y, m, d) = civilFromDays(Int(days))
        func pad(_ v: Int, _ width: Int) -> String {
            let s = String(v)
            return String(repeating: "0", count: max(0, width - s.count)) + s
        }
        let h = Int(secondOfDay / 3600)
        let mi = Int(secondOfDay % 3600 / 60)
        let s = Int(secondOfDay % 60)
        let year = y > 0 ? pad(y, 4) : pad(1 - y, 4)
        return "\(year)-\(pad(m, 2))-\(pad(d, 2)) \(pad(h, 2)):\(pad(mi, 2)):\(pad(s, 2)).\(pad(Int(micros), 6))+00"
            + (y > 0 ? "" : " BC")
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int) -> (Int, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (m <= 2 ? 1 : 0), m, d)
    }

    // MARK: arrays

    /// `{1,2,NULL}` / `{"a b","c\"d"}`: every element quoted (so empty strings, spaces, commas and the word NULL
    /// survive), `nil` as unquoted NULL.
    static func formatArray(_ elements: [String?]) -> String {
        var out = "{"
        for (index, element) in elements.enumerated() {
            if index > 0 { out += "," }
            guard let element else {
                out += "NULL"
                continue
            }
            out += "\""
            for c in element {
                if c == "\"" || c == "\\" { out += "\\" }
                out.append(c)
            }
            out += "\""
        }
        return out + "}"
    }

    /// Parses a one-dimensional text-format array. Returns `nil` when the text is not one (or is multi-dimensional).
    static func parseArray(_ text: String) -> [String?]? {
        var chars = Substring(text)
        // Optional dimension decoration: "[0:2]={...}".
        if chars.first == "[", let eq = chars.firstIndex(of: "=") { chars = chars[chars.index(after: eq)...] }
        guard chars.first == "{", chars.last == "}" else { return nil }
        let body = Array(chars.dropFirst().dropLast())
        if body.isEmpty { return [] }
        var elements: [String?] = []
        var i = 0
        while i <= body.count {
            var value = ""
            var quoted = false
            // Skip leading whitespace.
            while i < body.count, body[i] == " " { i += 1 }
            if i < body.count, body[i] == "{" { return nil }
            if i < body.count, body[i] == "\"" {
                quoted = true
                i += 1
                while i < body.count, body[i] != "\"" {
                    if body[i] == "\\", i + 1 < body.count { i += 1 }
                    value.append(body[i])
                    i += 1
                }
                guard i < body.count else { return nil }
                i += 1
                while i < body.count, body[i] == " " { i += 1 }
            } else {
                while i < body.count, body[i] != "," {
                    if body[i] == "\\", i + 1 < body.count { i += 1 }
                    value.append(body[i])
                    i += 1
                }
                while value.last == " " { value.removeLast() }
            }
            if !quoted && value.uppercased() == "NULL" {
                elements.append(nil)
            } else {
                elements.append(value)
            }
            if i < body.count {
                guard body[i] == "," else { return nil }
                i += 1
            } else {
                break
            }
        }
        return elements
    }

    // MARK: bytea

    /// Decodes `\x0102ff` (the `bytea_output = hex` default). The old escape format is not supported.
    static func parseHexBytea(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count >= 2, utf8[0] == 92, utf8[1] == 120, utf8.count % 2 == 0 else { return nil }
        var bytes = [UInt8]()
        bytes.reserveCapacity((utf8.count - 2) / 2)
        var i = 2
        while i < utf8.count {
            guard let hi = hexValue(utf8[i]), let lo = hexValue(utf8[i + 1]) else { return nil }
            bytes.append(hi << 4 | lo)
            i += 2
        }
        return bytes
    }

    private static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case 48...57: return c - 48
        case 97...102: return c - 87
        case 65...70: return c - 55
        default: return nil
        }
    }
}
