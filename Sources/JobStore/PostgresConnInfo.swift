import CLibPQ
import Foundation

/// Scrubs passwords from connection strings and from messages that may quote them.
///
/// libpq accepts a password in a keyword/value conninfo (`password=...`), in a URL's user info
/// (`postgresql://user:secret@host/db`) or its query (`?password=...`), and in `PGPASSWORD`. Its error messages can
/// quote pieces of a malformed conninfo, so every message that leaves this module goes through ``scrub(_:conninfo:environment:)``.
public enum PostgresConnInfo {
    /// What a password is replaced with.
    public static let mask = "***"

    /// `conninfo` with every password replaced by ``mask``, fit for logs and error messages.
    public static func redacted(_ conninfo: String) -> String {
        redactKeywordValues(redactURLs(conninfo))
    }

    /// `message` with any password removed: conninfo-looking passages are redacted, and the literal password
    /// values found in `conninfo` (both forms, percent-decoded) and in `PGPASSWORD` are masked wherever they occur.
    public static func scrub(
        _ message: String,
        conninfo: String,
        environment: [String: String] = currentEnvironment()
    ) -> String {
        var text = redacted(message)
        for secret in secrets(in: conninfo, environment: environment) {
            text = text.replacingAll(secret, with: mask)
        }
        return text
    }

    /// The password values that must never be shown: found by libpq's own parser (so URL percent-encoding and
    /// quoting are handled as libpq handles them), by our scanner as a fallback for strings libpq cannot parse, and
    /// from `PGPASSWORD`. Values shorter than three characters are left out: masking every "a" helps nobody.
    static func secrets(in conninfo: String, environment: [String: String]) -> [String] {
        var found: [String] = []
        if let parsed = parsedPassword(conninfo) { found.append(parsed) }
        found.append(contentsOf: scannedPasswords(conninfo))
        found.append(contentsOf: urlPasswords(conninfo))
        if let env = environment["PGPASSWORD"] { found.append(env) }
        var unique: [String] = []
        for s in found where s.count >= 3 && !unique.contains(s) && s != mask { unique.append(s) }
        // Longest first, so a secret that contains another is masked whole.
        return unique.sorted { $0.count > $1.count }
    }

    /// The current process environment (where libpq finds `PGPASSWORD`).
    public static func currentEnvironment() -> [String: String] {
        ProcessInfo.processInfo.environment
    }

    private static func parsedPassword(_ conninfo: String) -> String? {
        guard !conninfo.isEmpty else { return nil }
        var errorMessage: UnsafeMutablePointer<CChar>? = nil
        guard let options = PQconninfoParse(conninfo, &errorMessage) else {
            if let errorMessage { PQfreemem(errorMessage) }
            return nil
        }
        defer { PQconninfoFree(options) }
        var option = options
        while let keyword = option.pointee.keyword {
            if String(cString: keyword) == "password", let value = option.pointee.val {
                return String(cString: value)
            }
            option += 1
        }
        return nil
    }

    // MARK: scanning

    /// Redacts `user:password@` in every `postgres://` / `postgresql://` URL, and `password=` in their queries.
    static func redactURLs(_ text: String) -> String {
        var out = ""
        var rest = Substring(text)
        while let range = rest.firstRange(ofAny: ["postgresql://", "postgres://"]) {
            out += rest[..<range.upperBound]
            rest = rest[range.upperBound...]
            let authority = rest[..<authorityEnd(rest)]
            if let password = userInfoPassword(authority) {
                out += authority[..<password.startIndex]
                out += mask
                out += authority[password.endIndex...]
            } else {
                out += authority
            }
            rest = rest[authority.endIndex...]
            // Query: redact password=... up to '&', '#' or whitespace.
            let urlEnd = rest.firstIndex(where: { $0 == " " || $0.isNewline }) ?? rest.endIndex
            var url = rest[..<urlEnd]
            var rebuilt = ""
            if let q = url.firstIndex(of: "?") {
                rebuilt += url[...q]
                url = url[url.index(after: q)...]
                let params = url.split(separator: "&", omittingEmptySubsequences: false)
                rebuilt += params.map { param -> String in
                    let lower = param.lowercased()
                    return lower.hasPrefix("password=") ? "password=" + mask : String(param)
                }.joined(separator: "&")
            } else {
                rebuilt += url
            }
            out += rebuilt
            rest = rest[urlEnd...]
        }
        out += rest
        return out
    }

    /// The password of every `postgres://` / `postgresql://` URL's user info, as written and percent-decoded: libpq
    /// quotes a malformed one (`invalid percent-encoded token: "..."`) in the error that says it cannot parse it.
    static func urlPasswords(_ text: String) -> [String] {
        var values: [String] = []
        var rest = Substring(text)
        while let range = rest.firstRange(ofAny: ["postgresql://", "postgres://"]) {
            rest = rest[range.upperBound...]
            let authority = rest[..<authorityEnd(rest)]
            if let password = userInfoPassword(authority) {
                values.append(String(password))
                if let decoded = password.removingPercentEncoding { values.append(decoded) }
            }
            rest = rest[authority.endIndex...]
        }
        return values
    }

    /// Where the authority that starts `url` (just after `://`) ends: at the first '/', '?', '#' or whitespace.
    private static func authorityEnd(_ url: Substring) -> Substring.Index {
        url.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" || $0 == " " || $0.isNewline }) ?? url.endIndex
    }

    /// The password in an authority's user info: after the first ':' of what precedes its last '@'.
    private static func userInfoPassword(_ authority: Substring) -> Substring? {
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else {
            return nil
        }
        return authority[authority.index(after: colon)..<at]
    }

    /// Redacts the value of every `password = value` in keyword/value syntax: a value is either single-quoted
    /// (with backslash escapes) or runs to the next whitespace (backslash escapes allowed), as libpq parses it.
    static func redactKeywordValues(_ text: String) -> String {
        let chars = Array(text)
        var out: [Character] = []
        var i = 0
        while i < chars.count {
            if let (valueStart, valueEnd) = passwordValue(in: chars, at: i) {
                out.append(contentsOf: chars[i..<valueStart])
                out.append(contentsOf: mask)
                i = valueEnd
            } else {
                out.append(chars[i])
                i += 1
            }
        }
        return String(out)
    }

    /// The literal values of every `password=` in keyword/value syntax (unquoted, unescaped).
    static func scannedPasswords(_ text: String) -> [String] {
        let chars = Array(text)
        var values: [String] = []
        var i = 0
        while i < chars.count {
            if let (start, end) = passwordValue(in: chars, at: i) {
                var value = Array(chars[start..<end])
                if value.first == "'" { value = Array(value.dropFirst()) }
                if value.last == "'" { value = Array(value.dropLast()) }
                var unescaped: [Character] = []
                var j = 0
                while j < value.count {
                    if value[j] == "\\", j + 1 < value.count { j += 1 }
                    unescaped.append(value[j])
                    j += 1
                }
                values.append(String(unescaped))
                i = end
            } else {
                i += 1
            }
        }
        return values
    }

    /// When a `password` keyword starts at `i` (at a word boundary, followed by `=`), the range of its value.
    private static func passwordValue(in chars: [Character], at i: Int) -> (Int, Int)? {
        let keyword = Array("password")
        guard i + keyword.count <= chars.count else { return nil }
        if i > 0, chars[i - 1].isLetter || chars[i - 1].isNumber || chars[i - 1] == "_" { return nil }
        for k in 0..<keyword.count where chars[i + k].lowercased() != String(keyword[k]) { return nil }
        var j = i + keyword.count
        while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
        guard j < chars.count, chars[j] == "=" else { return nil }
        j += 1
        while j < chars.count, chars[j] == " " || chars[j] == "\t" { j += 1 }
        let start = j
        guard j < chars.count else { return nil }
        if String(chars[j..<min(chars.count, j + mask.count)]) == mask { return nil }
        if chars[j] == "'" {
            j += 1
            while j < chars.count, chars[j] != "'" {
                if chars[j] == "\\" { j += 1 }
                j += 1
            }
            return (start, min(j + 1, chars.count))
        }
        while j < chars.count, !chars[j].isWhitespace {
            if chars[j] == "\\" { j += 1 }
            j += 1
        }
        return (start, min(j, chars.count))
    }
}

extension Substring {
    fileprivate func firstRange(ofAny needles: [String]) -> Range<Substring.Index>? {
        var best: Range<Substring.Index>? = nil
        for needle in needles {
            if let r = self.range(ofCaseInsensitive: needle), best == nil || r.lowerBound < best!.lowerBound {
                best = r
            }
        }
        return best
    }

    fileprivate func range(ofCaseInsensitive needle: String) -> Range<Substring.Index>? {
        let n = Array(needle.lowercased())
        var i = startIndex
        while i < endIndex {
            var j = i
            var k = 0
            while k < n.count, j < endIndex, self[j].lowercased() == String(n[k]) {
                j = index(after: j)
                k += 1
            }
            if k == n.count { return i..<j }
            i = index(after: i)
        }
        return nil
    }
}

extension String {
    /// Every occurrence of `needle` replaced.
    func replacingAll(_ needle: String, with replacement: String) -> String {
        guard !needle.isEmpty else { return self }
        var out = ""
        var rest = self[...]
        while let r = rest.firstRange(of: needle) {
            out += rest[..<r.lowerBound]
            out += replacement
            rest = rest[r.upperBound...]
        }
        out += rest
        return out
    }
}
