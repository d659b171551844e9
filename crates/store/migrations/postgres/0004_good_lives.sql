-- The Good Lives checklist: one row per person, the checklist as JSON; versions are kept in
-- record_versions like other theme records.
CREATE TABLE good_lives (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    person_id   UUID NOT NULL UNIQUE REFERENCES people(id),
    details     TEXT NOT NULL,
    version     BIGINT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
