// sluice:description Renames the Project property customerGuid to customerId.
//
// Ported from the guide's 003_rename_customer_guid. Fixed: its down matched `p` but read and wrote
// `c.migrationVersion`, so it failed (or, with a `c` in scope, undid nothing); here down renames back
// exactly the Projects up renamed, marked `_sluice_m003`. A Project that already has a customerId is
// left alone, as in the guide: up's verify counts those in its `conflicting` column.

// sluice:up data
MATCH (p:Project)
WHERE p.customerGuid IS NOT NULL AND p.customerId IS NULL
SET p.customerId = p.customerGuid,
    p._sluice_m003 = true
REMOVE p.customerGuid

// sluice:up verify
MATCH (p:Project)
WHERE p.customerGuid IS NOT NULL
RETURN count(CASE WHEN p.customerId IS NULL THEN 1 END) = 0 AS ok,
       count(CASE WHEN p.customerId IS NOT NULL THEN 1 END) AS conflicting

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m003 IS NOT NULL
SET p.customerGuid = p.customerId
REMOVE p.customerId, p._sluice_m003

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m003 IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m003 IS NOT NULL
REMOVE p._sluice_m003
