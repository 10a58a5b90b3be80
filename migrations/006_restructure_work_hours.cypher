// sluice:description Turns each (:User)-[:LOGGED_HOURS]->(:Project) relationship into a WorkHour
// node, (:User)-[:LOGGED]->(:WorkHour)-[:FOR]->(:Project), with all of its properties.
//
// Ported from the guide's 006_restructure_work_hours. Fixed:
// - Up copied three of the relationship's properties (hours, date, billable) and dropped the rest:
//   the WorkHour now gets every property. Like the guide it adds guid, userGuid and projectGuid,
//   but only where the relationship had no such property, and lists the ones it added in
//   `_sluice_m006_added`, so down can take exactly those away again.
// - Down MERGEd one LOGGED_HOURS per (user, project) pair, so several entries logged between the
//   same pair came back as one: each WorkHour now comes back as its own relationship, with all of
//   its properties, and every relationship becomes its own WorkHour (CREATE, never MERGE).
// Every LOGGED_HOURS between a User and a Project is an item (`WHERE true`): up deletes the
// relationship, so no item can be changed twice. Relationship ids change, as they must.

// sluice:up data
MATCH (u:User)-[r:LOGGED_HOURS]->(p:Project)
WHERE true
CREATE (u)-[:LOGGED]->(w:WorkHour)-[:FOR]->(p)
SET w = properties(r)
SET w.guid = coalesce(w.guid, randomUUID()),
    w.userGuid = coalesce(w.userGuid, u.guid),
    w.projectGuid = coalesce(w.projectGuid, p.guid),
    w._sluice_m006 = true,
    w._sluice_m006_added = [key IN ['guid', 'userGuid', 'projectGuid'] WHERE NOT key IN keys(r)]
DELETE r

// sluice:up verify
MATCH (:User)-[r:LOGGED_HOURS]->(:Project)
RETURN count(r) = 0 AS ok

// sluice:down data
MATCH (w:WorkHour)
WHERE w._sluice_m006 IS NOT NULL
MATCH (u:User)-[:LOGGED]->(w)-[:FOR]->(p:Project)
CREATE (u)-[r:LOGGED_HOURS]->(p)
SET r = properties(w)
SET r._sluice_m006 = null,
    r._sluice_m006_added = null,
    r.guid = CASE WHEN 'guid' IN w._sluice_m006_added THEN null ELSE r.guid END,
    r.userGuid = CASE WHEN 'userGuid' IN w._sluice_m006_added THEN null ELSE r.userGuid END,
    r.projectGuid = CASE WHEN 'projectGuid' IN w._sluice_m006_added THEN null ELSE r.projectGuid END
DETACH DELETE w

// sluice:down verify
MATCH (w:WorkHour)
WHERE w._sluice_m006 IS NOT NULL
RETURN count(w) = 0 AS ok

// sluice:finalize data
MATCH (w:WorkHour)
WHERE w._sluice_m006 IS NOT NULL
REMOVE w._sluice_m006, w._sluice_m006_added
