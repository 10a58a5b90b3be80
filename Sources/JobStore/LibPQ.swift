import CLibPQ

/// Facts about the libpq that sluice is linked against.
public enum LibPQ {
    /// The linked libpq's version as `PQlibVersion` reports it (150018 for 15.18), for diagnostics.
    public static var version: Int { Int(PQlibVersion()) }
}
