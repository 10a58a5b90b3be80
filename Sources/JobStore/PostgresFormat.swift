/// The wire format of a parameter or result column: libpq's `0` (text) and `1` (binary).
///
/// Text is the default (readable, version-independent); binary is used where it saves real work, such as the packed
/// id slices of a plan, which travel as raw bytes instead of twice as many hex digits.
public enum PostgresFormat: Int32, Sendable {
    case text = 0
    case binary = 1
}
