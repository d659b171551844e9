-- The Good Lives checklist: one row per person, the checklist as JSON; versions are kept in
-- record_versions like other theme records.
CREATE TABLE good_lives (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    person_id   BLOB NOT NULL UNIQUE REFERENCES people(id),
    details     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TEXT NOT NULL
);
