// sluice:description Scores each Project's risk from 0 to 100 (hours overrun 30, deadline 50 or 20,
// budget 20) and indexes the score.
// sluice:param asOf = date()
// sluice:param calculatedAt = datetime()
// sluice:requires IS ::, duration.inDays, datetime, INDEX IF NOT EXISTS
//
// Ported from the guide's 008_add_project_risk_score. Fixed:
// - `duration.between(date(), p.deadline).days` is the days component of the duration (0 for a
//   deadline "2 months" away): `duration.inDays(...).days` is the length in days. A deadline already
//   past scores 50 unless the Project is completed, one due within 30 days 20, as the guide meant
//   (its CASE gave completed Projects past their deadline 20, through the negative day count).
// - `date()` and `datetime()` changed from batch to batch: `$asOf` and `$calculatedAt` are bound once
//   when the job is planned.
// - `p.hoursWorked / p.hourEstimate` divided integers (0 below 100%): it divides floats.
// - A deadline that is not a date (004 left it a string) scores 0 instead of failing the batch; a
//   missing status counts as not completed.
// - An existing riskScoreCalculatedAt is kept for down in `_sluice_m008_riskScoreCalculatedAt`.
// Added: an index on riskScore, for the queries that rank Projects by risk, built after the batches.
// Neo4j 5 and ArcadeDB only: FalkorDB has no duration.inDays, datetime or IF NOT EXISTS.

// sluice:up data
MATCH (p:Project)
WHERE p.riskScore IS NULL
SET p._sluice_m008 = true,
    p._sluice_m008_riskScoreCalculatedAt = p.riskScoreCalculatedAt
SET p.riskScore =
        CASE
            WHEN p.hourEstimate > 0 AND toFloat(p.hoursWorked) / p.hourEstimate > 0.9 THEN 30
            ELSE 0
        END
        + CASE
            WHEN p.deadline IS NULL OR NOT p.deadline IS :: DATE THEN 0
            WHEN p.deadline < $asOf AND coalesce(p.status, '') <> 'completed' THEN 50
            WHEN p.deadline >= $asOf AND duration.inDays($asOf, p.deadline).days < 30 THEN 20
            ELSE 0
        END
        + CASE WHEN p.totalCost > p.expectedValue * 0.9 THEN 20 ELSE 0 END,
    p.riskScoreCalculatedAt = $calculatedAt

// sluice:up schema
CREATE INDEX project_risk_score IF NOT EXISTS FOR (p:Project) ON (p.riskScore)

// sluice:up verify
MATCH (p:Project)
WHERE p.riskScore IS NULL
RETURN count(p) = 0 AS ok

// sluice:down schema
DROP INDEX project_risk_score IF EXISTS

// sluice:down data
MATCH (p:Project)
WHERE p._sluice_m008 IS NOT NULL
SET p.riskScoreCalculatedAt = p._sluice_m008_riskScoreCalculatedAt
REMOVE p.riskScore, p._sluice_m008, p._sluice_m008_riskScoreCalculatedAt

// sluice:down verify
MATCH (p:Project)
WHERE p._sluice_m008 IS NOT NULL
RETURN count(p) = 0 AS ok

// sluice:finalize data
MATCH (p:Project)
WHERE p._sluice_m008 IS NOT NULL
REMOVE p._sluice_m008, p._sluice_m008_riskScoreCalculatedAt
