-- Foundation: organisations, teams, accounts, sessions, people, cases and the audit log.
-- PostgreSQL types: native uuid, timestamptz, date and boolean.
-- Every table carries org_id so the data can later be partitioned by organisation.

CREATE TABLE organisations (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL,          -- equal to id: an organisation is its own tenant
    name        TEXT NOT NULL UNIQUE,
    kind        TEXT NOT NULL,
    time_zone   TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE teams (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    name        TEXT NOT NULL,
    active      BOOLEAN NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, name)
);

CREATE TABLE people (
    id                  UUID PRIMARY KEY,
    org_id              UUID NOT NULL REFERENCES organisations(id),
    nhs_number          TEXT NOT NULL,
    given_name          TEXT NOT NULL,
    family_name         TEXT NOT NULL,
    preferred_name      TEXT,
    pronouns            TEXT,
    date_of_birth       DATE NOT NULL,
    phone               TEXT,
    email               TEXT,
    address             TEXT,
    communication_needs TEXT,
    easy_read           BOOLEAN NOT NULL,
    language            TEXT,
    interpreter_needed  BOOLEAN NOT NULL,
    search_name         TEXT NOT NULL,   -- lower-cased names, for case-insensitive search
    version             BIGINT NOT NULL,
    created_at          TIMESTAMPTZ NOT NULL,
    updated_at          TIMESTAMPTZ NOT NULL,
    UNIQUE (org_id, nhs_number)
);
CREATE INDEX people_org_dob ON people (org_id, date_of_birth);

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations(id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    role          TEXT NOT NULL,
    team_id       UUID REFERENCES teams(id),
    person_id     UUID REFERENCES people(id),
    password_hash TEXT,
    active        BOOLEAN NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE person_versions (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    person_id   UUID NOT NULL REFERENCES people(id),
    version     BIGINT NOT NULL,
    details     TEXT NOT NULL,           -- the PersonDetails of this version, as JSON
    changed_by  UUID REFERENCES users(id),
    changed_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (person_id, version)
);

CREATE TABLE cases (
    id             UUID PRIMARY KEY,
    org_id         UUID NOT NULL REFERENCES organisations(id),
    person_id      UUID NOT NULL UNIQUE REFERENCES people(id),
    team_id        UUID REFERENCES teams(id),
    key_worker_id  UUID REFERENCES users(id),
    status         TEXT NOT NULL CHECK (status IN ('open', 'closed')),
    opened_at      TIMESTAMPTZ NOT NULL,
    closed_at      TIMESTAMPTZ,
    close_reason   TEXT,
    version        BIGINT NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);
CREATE INDEX cases_key_worker ON cases (key_worker_id, status);
CREATE INDEX cases_team ON cases (org_id, team_id, status);

CREATE TABLE sessions (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations(id),
    user_id       UUID NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,   -- SHA-256 of the cookie value; the value itself is never stored
    csrf_token    TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations(id),
    user_id       UUID NOT NULL REFERENCES users(id),
    token_hash    TEXT NOT NULL UNIQUE,
    created_at    TIMESTAMPTZ NOT NULL
);

CREATE TABLE sign_in_failures (
    id         UUID PRIMARY KEY,
    org_id     UUID,                      -- unknown when the username matches no account
    username   TEXT NOT NULL,
    ip         TEXT NOT NULL,
    at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_failures_username ON sign_in_failures (username, at);
CREATE INDEX sign_in_failures_ip ON sign_in_failures (ip, at);

CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,         -- UUIDv7: ordered by time of writing
    org_id      UUID,                     -- absent only for events with no account (a failed sign-in)
    at          TIMESTAMPTZ NOT NULL,
    user_id     UUID,
    username    TEXT NOT NULL,
    role        TEXT NOT NULL,
    action      TEXT NOT NULL,
    person_id   UUID,
    detail      TEXT NOT NULL,
    ip          TEXT NOT NULL,
    request_id  TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_person ON audit_log (person_id, at);
CREATE INDEX audit_log_user ON audit_log (user_id, at);
