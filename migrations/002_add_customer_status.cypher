// sluice:description Gives every Customer without a status one: 'active' when it has an active
// Project, 'inactive' otherwise.
//
// Ported from the guide's 002_add_customer_status. Fixed: `exists(c.status)` is `c.status IS NULL`;
// the pattern test `exists((c)-[:HAS_PROJECT]->(...))` is a count over an OPTIONAL MATCH, which Neo4j 5,
// ArcadeDB and FalkorDB all run (FalkorDB refuses `EXISTS { }` and patterns inside SET); the marker is
// this migration's own `_sluice_m002`.

// sluice:up data
MATCH (c:Customer)
WHERE c.status IS NULL
OPTIONAL MATCH (c)-[:HAS_PROJECT]->(active:Project {status: 'active'})
WITH c, count(active) AS activeProjects
SET c.status = CASE WHEN activeProjects > 0 THEN 'active' ELSE 'inactive' END,
    c._sluice_m002 = true

// sluice:up verify
MATCH (c:Customer)
WHERE c.status IS NULL
RETURN count(c) = 0 AS ok

// sluice:down data
MATCH (c:Customer)
WHERE c._sluice_m002 IS NOT NULL
REMOVE c.status, c._sluice_m002

// sluice:down verify
MATCH (c:Customer)
WHERE c._sluice_m002 IS NOT NULL
RETURN count(c) = 0 AS ok

// sluice:finalize data
MATCH (c:Customer)
WHERE c._sluice_m002 IS NOT NULL
REMOVE c._sluice_m002
