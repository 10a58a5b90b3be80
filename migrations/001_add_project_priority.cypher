// sluice:description Gives every Project without a priority the priority 'medium'.
//
// Ported from the guide's 001_add_project_priority. Fixed: `exists(p.priority)` (removed in Neo4j 5)
// is `p.priority IS NULL`; the guide's shared `migrationVersion` marker, which the next migration to
// touch a Project overwrote, is this migration's own `_sluice_m001`, so `down` finds every Project
// `up` changed and no other.

// sluice:up data
MATCH (p:Project)
WHERE p.priority IS NULL
SET p.priority = 'medium',
    p._sluice_m001 = true

// sluice:up verify
MATCH (p:Project)
WHERE p.priority IS NULL
RETURN count(p) = 0 AS ok

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m001 IS NOT NULL
REMOVE p.priority, p._sluice_m001

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m001 IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m001 IS NOT NULL
REMOVE p._sluice_m001
