-- The six value themes: entries in every theme, the circle of support's members, and one
-- history table keeping every version of both. Fields that lists filter or count on are
-- columns; the rest of a record is its JSON details, the same shape as the domain type.

CREATE TABLE theme_entries (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    person_id   BLOB NOT NULL REFERENCES people(id),
    theme       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    status      TEXT,                    -- next steps only: open or done
    withheld    INTEGER NOT NULL,        -- hidden from the person, with a recorded reason
    details     TEXT NOT NULL,           -- EntryDetails as JSON
    author_id   BLOB REFERENCES users(id),
    version     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    removed_at  TEXT
);
CREATE INDEX theme_entries_person ON theme_entries (person_id, theme);

CREATE TABLE circle_members (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations(id),
    person_id    BLOB NOT NULL REFERENCES people(id),
    source       TEXT NOT NULL,
    involvement  TEXT NOT NULL,
    details      TEXT NOT NULL,          -- MemberDetails as JSON
    account_id   BLOB REFERENCES users(id),
    author_id    BLOB REFERENCES users(id),
    version      BIGINT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    removed_at   TEXT
);
CREATE INDEX circle_members_person ON circle_members (person_id);

CREATE TABLE record_versions (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations(id),
    record_type  TEXT NOT NULL,          -- theme-entry or circle-member
    record_id    BLOB NOT NULL,
    version      BIGINT NOT NULL,
    details      TEXT NOT NULL,
    removed      INTEGER NOT NULL,
    changed_by   BLOB REFERENCES users(id),
    changed_at   TEXT NOT NULL,
    UNIQUE (record_type, record_id, version)
);
