-- Foundation: organisations, teams, accounts, sessions, people, cases and the audit log.
-- SQLite types: ids are 16-byte BLOB UUIDs, times are UTC RFC 3339 TEXT, booleans are INTEGER.
-- Every table carries org_id so the data can later be partitioned by organisation.

CREATE TABLE organisations (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL,          -- equal to id: an organisation is its own tenant
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE teams (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    name        TEXT NOT NULL,
    active      INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE people (
    id                  BLOB PRIMARY KEY,
    org_id              BLOB NOT NULL REFERENCES organisations(id),
    nhs_number          TEXT NOT NULL,
    given_name          TEXT NOT NULL,
    family_name         TEXT NOT NULL,
    preferred_name      TEXT,
    pronouns            TEXT,
    date_of_birth       TEXT NOT NULL,
    phone               TEXT,
    email               TEXT,
    address             TEXT,
    communication_needs TEXT,
    easy_read           INTEGER NOT NULL,
    language            TEXT,
    interpreter_needed  INTEGER NOT NULL,
    search_name         TEXT NOT NULL,   -- lower-cased names, for case-insensitive search
    version             BIGINT NOT NULL,
    created_at          TEXT NOT NULL,
    updated_at          TEXT NOT NULL,
    UNIQUE (org_id, nhs_number)
);
CREATE INDEX people_org_dob ON people (org_id, date_of_birth);

CREATE TABLE users (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    team_id       BLOB REFERENCES teams(id),
    person_id     BLOB REFERENCES people(id),
    password_hash TEXT,
    active        INTEGER NOT NULL,
    created_at    TEXT NOT NULL
);

CREATE TABLE person_versions (
    id          BLOB PRIMARY KEY,
    org_id      BLOB NOT NULL REFERENCES organisations(id),
    person_id   BLOB NOT NULL REFERENCES people(id),
    version     BIGINT NOT NULL,
    details     TEXT NOT NULL,           -- the PersonDetails of this version, as JSON
    changed_by  BLOB REFERENCES users(id),
    changed_at  TEXT NOT NULL,
    UNIQUE (person_id, version)
);

CREATE TABLE cases (
    id             BLOB PRIMARY KEY,
    org_id         BLOB NOT NULL REFERENCES organisations(id),
    person_id      BLOB NOT NULL UNIQUE REFERENCES people(id),
    team_id        BLOB REFERENCES teams(id),
    key_worker_id  BLOB REFERENCES users(id),
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at      TEXT NOT NULL,
    closed_at      TEXT,
    close_reason   TEXT,
    version        BIGINT NOT NULL,
    updated_at     TEXT NOT NULL
);
CREATE INDEX cases_key_worker ON cases (key_worker_id, status);
CREATE INDEX cases_team ON cases (org_id, team_id, status);

CREATE TABLE sessions (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    user_id       BLOB NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie value; the value itself is never stored
    csrf_token    TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    user_id       BLOB NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TEXT NOT NULL
);

CREATE TABLE sign_in_failures (
    id         BLOB PRIMARY KEY,
    org_id     BLOB,                      -- unknown when the username matches no account
    username   TEXT NOT NULL,
    ip         TEXT NOT NULL,
    at         TEXT NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY,         -- UUIDv7: ordered by time of writing
    org_id      BLOB,                     -- absent only for events with no account (a failed sign-in)
    at          TEXT NOT NULL,
    user_id     BLOB,
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    person_id   BLOB,
    detail      TEXT NOT NULL,
    ip          TEXT NOT NULL,
    request_id  TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_person ON audit_log (person_id, at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
