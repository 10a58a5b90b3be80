/// Why PackStream bytes could not be decoded.
///
/// Offsets count bytes from the reader index at which the failed read began (the start of the value, or of
/// the structure header). A failed read leaves the buffer's reader index where it was.
public enum PackStreamError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The input ended in the middle of a value (a marker, an integer or a float was cut short).
    case unexpectedEndOfInput
    /// A marker byte that PackStream does not define (0xC4...0xC7, 0xCF, 0xD3, 0xD7, 0xDB...0xEF).
    case unknownMarker(UInt8, offset: Int)
    /// A marker of the wrong kind where a specific kind was required (say, not a structure for a message).
    case unexpectedMarker(UInt8, expected: String, offset: Int)
    /// The bytes of a string are not valid UTF-8.
    case invalidUTF8(offset: Int)
    /// A declared size (bytes of a string or byte array, entries of a list, map or structure) that the
    /// bytes left cannot hold: each list entry needs at least one byte, each map entry at least two.
    case lengthExceedsInput(declared: Int, available: Int)
    /// Lists, maps and structures nested deeper than the decoder's limit.
    case nestingTooDeep(limit: Int)
    /// A map key that is not a string.
    case nonStringMapKey(marker: UInt8, offset: Int)
    /// A graph, temporal or spatial structure whose fields do not have the shape the Bolt specification
    /// gives it, or hold a value outside the range Neo4j allows (a date beyond year 999,999,999).
    case invalidStructure(tag: UInt8, reason: String)

    public var description: String {
        switch self {
        case .unexpectedEndOfInput:
            return "PackStream: unexpected end of input"
        case .unknownMarker(let marker, let offset):
            return "PackStream: unknown marker \(hex(marker)) at offset \(offset)"
        case .unexpectedMarker(let marker, let expected, let offset):
            return "PackStream: expected \(expected) but found marker \(hex(marker)) at offset \(offset)"
        case .invalidUTF8(let offset):
            return "PackStream: string at offset \(offset) is not valid UTF-8"
        case .lengthExceedsInput(let declared, let available):
            return "PackStream: declared size \(declared) exceeds the \(available) bytes left"
        case .nestingTooDeep(let limit):
            return "PackStream: values nested deeper than \(limit) levels"
        case .nonStringMapKey(let marker, let offset):
            return "PackStream: map key at offset \(offset) is not a string (marker \(hex(marker)))"
        case .invalidStructure(let tag, let reason):
            return "PackStream: invalid structure \(hex(tag)): \(reason)"
        }
    }
}

private func hex(_ byte: UInt8) -> String {
    let digits: [Character] = Array("0123456789ABCDEF")
    return "0x" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 0x0F)])
}
