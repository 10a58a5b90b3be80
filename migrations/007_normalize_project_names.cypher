// sluice:description Adds normalizedName, the name lower-cased and trimmed, to every Project that
// has a name: the guide's million-node backfill.
// sluice:batch_size 10000
//
// Ported from the guide's 007_batch_update_large_dataset. Fixed: its loop re-ran
// `WHERE NOT exists(p.normalizedName) ... LIMIT 10000` until a batch came back short, rescanning the
// nodes already done (O(N^2/B) work) and never ending when SET left the predicate true: a Project
// without a name got a null normalizedName and was selected again forever. Here the engine plans the
// items once and batches them by id; the predicate requires a name, so SET always makes it false.

// sluice:probe
MATCH (p:Project)
RETURN p.name, p.status
LIMIT 25

// sluice:up data
MATCH (p:Project)
WHERE p.name IS NOT NULL AND p.normalizedName IS NULL
SET p.normalizedName = toLower(trim(p.name)),
    p._sluice_m007 = true

// sluice:up verify
MATCH (p:Project)
WHERE p.name IS NOT NULL AND p.normalizedName IS NULL
RETURN count(p) = 0 AS ok

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m007 IS NOT NULL
REMOVE p.normalizedName, p._sluice_m007

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m007 IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m007 IS NOT NULL
REMOVE p._sluice_m007
