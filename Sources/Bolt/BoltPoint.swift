/// A point in a coordinate reference system: Cypher's `POINT`, Bolt structures `X` (0x58, 2D) and `Y` (0x59,
/// 3D).
///
/// The system is given by its SRID; Neo4j knows the four below. For WGS-84, `x` is the longitude and `y` the
/// latitude, in degrees.
public struct BoltPoint: Sendable, Hashable, CustomStringConvertible {
    /// WGS-84 longitude and latitude (`point({longitude:, latitude:})`).
    public static let wgs84: Int64 = 4326
    /// WGS-84 longitude, latitude and height in metres.
    public static let wgs84With3D: Int64 = 4979
    /// Cartesian x and y (`point({x:, y:})`).
    public static let cartesian: Int64 = 7203
    /// Cartesian x, y and z.
    public static let cartesian3D: Int64 = 9157

    /// The spatial reference system identifier.
    public var srid: Int64
    public var x: Double
    public var y: Double
    /// The third coordinate of a 3D point; `nil` for a 2D point.
    public var z: Double?

    public init(srid: Int64, x: Double, y: Double, z: Double? = nil) {
        self.srid = srid
        self.x = x
        self.y = y
        self.z = z
    }

    /// As cypher-shell prints it: `point({srid:4326, x:1.0, y:2.0})`, `point({srid:9157, x:1.0, y:2.0, z:3.0})`.
    public var description: String {
        var output = "point({srid:\(self.srid), x:\(CypherText.float(self.x)), y:\(CypherText.float(self.y))"
        if let z = self.z {
            output += ", z:\(CypherText.float(z))"
        }
        return output + "})"
    }
}
