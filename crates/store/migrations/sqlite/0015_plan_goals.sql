-- Which person's plan names each goal, so a goal is found by its id without reading every
-- plan. A goal keeps its id across the versions of one plan and is never in another person's.
-- The id is kept as text, as it is written in the plan's content.

CREATE TABLE plan_goals (
    goal_id    TEXT PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    person_id  BLOB NOT NULL REFERENCES people(id)
);

INSERT OR IGNORE INTO plan_goals (goal_id, org_id, person_id)
SELECT json_extract(g.value, '$.id'), v.org_id, v.person_id
FROM plan_versions v, json_each(v.content, '$.goals') g;
