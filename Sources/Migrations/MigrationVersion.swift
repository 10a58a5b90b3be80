/// The ordered version of a migration: the number its file name starts with.
///
/// Versions compare as numbers, so `007` and `7` are the same version (and two files holding it are
/// refused); they print with at least three digits, as the guide numbered its migrations.
public struct MigrationVersion: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let number: Int

    public init(_ number: Int) {
        self.number = number
    }

    /// A version as an operator or a file name writes it: digits only (`007`, `12`), greater than zero.
    public init?(_ text: some StringProtocol) {
        guard !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }), let number = Int(text), number > 0 else {
            return nil
        }
        self.number = number
    }

    /// `007`: the number with at least three digits.
    public var description: String {
        let digits = String(number)
        return String(repeating: "0", count: max(0, 3 - digits.count)) + digits
    }

    public static func < (lhs: MigrationVersion, rhs: MigrationVersion) -> Bool {
        lhs.number < rhs.number
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let version = MigrationVersion(text) else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: decoder.codingPath, debugDescription: "not a version: \(text)")
            )
        }
        self = version
    }

    /// Encoded as its description (`"007"`), the form the guide's history and sluice's output use.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
