/// A value of sluice's configuration file, as the TOML subset it reads them (see ``TOMLParser``).
public enum TOMLValue: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case integer(Int64)
    case float(Double)
    case boolean(Bool)
    case array([TOMLValue])

    /// What the value is, for error messages (`expected a duration, found an integer`).
    public var kindName: String {
        switch self {
        case .string: "a string"
        case .integer: "an integer"
        case .float: "a float"
        case .boolean: "a boolean"
        case .array: "an array"
        }
    }

    /// The value as TOML writes it.
    public var description: String {
        switch self {
        case .string(let text): TOMLValue.quoted(text)
        case .integer(let value): "\(value)"
        case .float(let value): "\(value)"
        case .boolean(let value): value ? "true" : "false"
        case .array(let values): "[" + values.map(\.description).joined(separator: ", ") + "]"
        }
    }

    /// A basic string with the escapes TOML requires.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            default:
                if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16, uppercase: true)
                    out += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out + "\""
    }
}

/// A value with the line it was written on, so errors can point at it.
public struct TOMLEntry: Sendable, Hashable {
    public var value: TOMLValue
    public var line: Int
}
