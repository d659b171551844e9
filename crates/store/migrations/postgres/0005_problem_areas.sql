-- Problem toolkits: the person's distinct problem areas, and which of them are linked.
CREATE TABLE problem_areas (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    person_id   UUID NOT NULL REFERENCES people(id),
    details     TEXT NOT NULL,          -- ProblemDetails as JSON
    version     BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    removed_at  TIMESTAMPTZ
);
CREATE INDEX problem_areas_person ON problem_areas (person_id);

-- A link between two problem areas of the same person; stored once, with a < b.
CREATE TABLE problem_links (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    person_id   UUID NOT NULL REFERENCES people(id),
    a           UUID NOT NULL REFERENCES problem_areas(id),
    b           UUID NOT NULL REFERENCES problem_areas(id),
    UNIQUE (a, b)
);
