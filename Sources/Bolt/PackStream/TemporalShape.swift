/// Turns the decoded fields of the temporal and spatial structures into their types, checking the shape and
/// the ranges (a server's out-of-range value fails its result with the field named; nothing traps).
enum TemporalShape {
    static func date(_ fields: [BoltValue]) throws(PackStreamError) -> BoltDate {
        let fields = try StructureFields(fields, tag: PackStream.Tag.date, name: "a date", counts: 1)
        let days = try fields.integer(0, "days")
        return try fields.make { () throws(BoltTemporalError) in try BoltDate(daysSinceEpoch: days) }
    }

    static func time(_ fields: [BoltValue]) throws(PackStreamError) -> BoltTime {
        let fields = try StructureFields(fields, tag: PackStream.Tag.time, name: "a time", counts: 2)
        let nanoseconds = try fields.integer(0, "nanoseconds")
        let offset = try fields.integer(1, "tz_offset_seconds")
        return try fields.make { () throws(BoltTemporalError) in
            try BoltTime(nanosecondsSinceMidnight: nanoseconds, offsetSeconds: Int(clamping: offset))
        }
    }

    static func localTime(_ fields: [BoltValue]) throws(PackStreamError) -> BoltLocalTime {
        let fields = try StructureFields(fields, tag: PackStream.Tag.localTime, name: "a local time", counts: 1)
        let nanoseconds = try fields.integer(0, "nanoseconds")
        return try fields.make { () throws(BoltTemporalError) in
            try BoltLocalTime(nanosecondsSinceMidnight: nanoseconds)
        }
    }

    /// Bolt 5's `I` and `i` (UTC seconds) and Bolt 4's `F` and `f` (wall-clock seconds, turned into UTC with
    /// the offset, or with the zone's offset at that wall-clock time as java.time resolves it).
    static func dateTime(_ fields: [BoltValue], tag: UInt8) throws(PackStreamError) -> BoltDateTime {
        let fields = try StructureFields(fields, tag: tag, name: "a date-time", counts: 3)
        let seconds = try fields.integer(0, "seconds")
        let nanoseconds = try fields.integer(1, "nanoseconds")
        let zone: BoltDateTime.Zone
        switch tag {
        case PackStream.Tag.dateTime, PackStream.Tag.legacyDateTime:
            zone = .offset(seconds: Int(clamping: try fields.integer(2, "tz_offset_seconds")))
        default:
            zone = .identifier(try fields.string(2, "tz_id"))
        }
        let isLegacy = tag == PackStream.Tag.legacyDateTime || tag == PackStream.Tag.legacyDateTimeZoneID
        return try fields.make { () throws(BoltTemporalError) in
            guard isLegacy else {
                return try BoltDateTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds, zone: zone)
            }
            let local = try BoltLocalDateTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds)
            return try BoltDateTime(local: local, zone: zone)
        }
    }

    static func localDateTime(_ fields: [BoltValue]) throws(PackStreamError) -> BoltLocalDateTime {
        let fields = try StructureFields(
            fields,
            tag: PackStream.Tag.localDateTime,
            name: "a local date-time",
            counts: 2
        )
        let seconds = try fields.integer(0, "seconds")
        let nanoseconds = try fields.integer(1, "nanoseconds")
        return try fields.make { () throws(BoltTemporalError) in
            try BoltLocalDateTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds)
        }
    }

    static func duration(_ fields: [BoltValue]) throws(PackStreamError) -> BoltDuration {
        let fields = try StructureFields(fields, tag: PackStream.Tag.duration, name: "a duration", counts: 4)
        let months = try fields.integer(0, "months")
        let days = try fields.integer(1, "days")
        let seconds = try fields.integer(2, "seconds")
        let nanoseconds = try fields.integer(3, "nanoseconds")
        return try fields.make { () throws(BoltTemporalError) in
            try BoltDuration(months: months, days: days, seconds: seconds, nanoseconds: nanoseconds)
        }
    }

    /// `X` (srid, x, y) and `Y` (srid, x, y, z).
    static func point(_ fields: [BoltValue], tag: UInt8) throws(PackStreamError) -> BoltPoint {
        let is3D = tag == PackStream.Tag.point3D
        let fields = try StructureFields(
            fields,
            tag: tag,
            name: is3D ? "a 3D point" : "a 2D point",
            counts: is3D ? 4 : 3
        )
        return BoltPoint(
            srid: try fields.integer(0, "srid"),
            x: try fields.float(1, "x"),
            y: try fields.float(2, "y"),
            z: is3D ? try fields.float(3, "z") : nil
        )
    }
}
