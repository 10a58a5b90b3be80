// sluice:description Converts Project deadlines stored as strings into dates, keeping each original
// string for down.
// sluice:requires IS ::
//
// Ported from the guide's 004_convert_deadline_to_date. Fixed:
// - Its down wrote back `toString(date)`, which is not the original when it was spelled another way
//   ('2024/05/01', '2024-05-01T09:30:00Z'): up keeps the original string in `_sluice_m004_deadline`
//   and down puts it back byte for byte.
// - One unparseable string failed the whole statement. Each item now fails alone: the engine
//   quarantines it with date()'s error and goes on; up's verify counts those left as `unparsed`.
//   Fix them and run up again (the predicate still selects them).
// Read: ISO dates ('2024-05-01', '20240501', '2024-W18-3'), '/' or '.' for '-', one-digit month or
// day ('2024/5/1'), and a date-time's date part. Never guessed: day and month orders such as '5/1/24'.
// Neo4j 5 and ArcadeDB only: FalkorDB has no `IS ::`, and its date() accepts '5-1-24' as a date.

// sluice:up data
MATCH (p:Project)
WHERE p.deadline IS NOT NULL AND p.deadline IS :: STRING
WITH p, split(replace(replace(split(trim(p.deadline), 'T')[0], '/', '-'), '.', '-'), '-') AS parts
SET p._sluice_m004_deadline = p.deadline
SET p.deadline = CASE
        WHEN size(parts) = 3 AND size(parts[0]) = 4 AND size(parts[1]) <= 2 AND size(parts[2]) <= 2
        THEN date(parts[0] + '-' + right('0' + parts[1], 2) + '-' + right('0' + parts[2], 2))
        ELSE date(trim(p.deadline))
    END

// sluice:up verify
MATCH (p:Project)
WHERE p.deadline IS NOT NULL
RETURN count(CASE WHEN p._sluice_m004_deadline IS NOT NULL AND NOT p.deadline IS :: DATE THEN 1 END) = 0 AS ok,
       count(CASE WHEN p.deadline IS :: STRING THEN 1 END) AS unparsed

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m004_deadline IS NOT NULL
SET p.deadline = p._sluice_m004_deadline
REMOVE p._sluice_m004_deadline

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m004_deadline IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m004_deadline IS NOT NULL
REMOVE p._sluice_m004_deadline
