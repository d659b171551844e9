-- Problem toolkits: the person's distinct problem areas, and which of them are linked.
CREATE TABLE problem_areas (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    person_id   BLOB NOT NULL REFERENCES people(id),
    details     TEXT NOT NULL,          -- ProblemDetails as JSON
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    removed_at  TEXT
);
CREATE INDEX problem_areas_person ON problem_areas (person_id);

-- A link between two problem areas of the same person; stored once, with a < b.
CREATE TABLE problem_links (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    person_id   BLOB NOT NULL REFERENCES people(id),
    a           BLOB NOT NULL REFERENCES problem_areas(id),
    b           BLOB NOT NULL REFERENCES problem_areas(id),
    UNIQUE (a, b)
);
