// sluice:description Stores each Project's completion percentage: hours logged against it (its
// LOGGED_HOURS relationships) over its hour estimate.
//
// Ported from the guide's 005_add_completion_pct. Fixed: `hoursWorked / p.hourEstimate` divided
// integers, so 95 hours of 100 gave 0 percent: the sum is a float before dividing. A Project with
// no estimate, or an estimate of 0, gets 0.0 as in the guide; hours that are not numbers count as 0.
// `exists(p.completionPct)` is `p.completionPct IS NULL`; the marker is `_sluice_m005`. Runs before
// 006, which moves LOGGED_HOURS onto WorkHour nodes.

// sluice:up data
MATCH (p:Project)
WHERE p.completionPct IS NULL
OPTIONAL MATCH (p)<-[logged:LOGGED_HOURS]-()
WITH p, sum(coalesce(toFloat(logged.hours), 0.0)) AS hoursWorked
SET p.completionPct = CASE
        WHEN p.hourEstimate > 0 THEN hoursWorked / toFloat(p.hourEstimate) * 100.0
        ELSE 0.0
    END,
    p._sluice_m005 = true

// sluice:up verify
MATCH (p:Project)
WHERE p.completionPct IS NULL
RETURN count(p) = 0 AS ok

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m005 IS NOT NULL
REMOVE p.completionPct, p._sluice_m005

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m005 IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m005 IS NOT NULL
REMOVE p._sluice_m005
