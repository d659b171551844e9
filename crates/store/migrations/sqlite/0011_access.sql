-- Access beyond a working relationship: emergency ("break-glass") grants, and invitations that
-- let someone in a person's circle of support sign in as a supporter.

-- A member of staff with no relationship to a record asked for time-boxed access, giving a
-- reason. The grant ends when it expires or when they end it; a team manager or administrator
-- then reviews it. Nothing here is ever deleted: it is part of the record of who saw what.
CREATE TABLE break_glass_grants (
    id              BLOB PRIMARY KEY,
    org_id          BLOB NOT NULL REFERENCES organisations(id),
    user_id         BLOB NOT NULL REFERENCES users(id),
    person_id       BLOB NOT NULL REFERENCES people(id),
    reason          TEXT NOT NULL,
    started_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    ended_at        TEXT,
    ended_how       TEXT CHECK (ended_how IN ('ended', 'expired')),
    review_verdict  TEXT CHECK (review_verdict IN ('justified', 'concern')),
    review_note     TEXT,
    reviewed_by     BLOB REFERENCES users(id),
    reviewed_at     TEXT,
    CHECK (expires_at > started_at),
    CHECK ((ended_at IS NULL) = (ended_how IS NULL)),
    CHECK ((review_verdict IS NULL) = (reviewed_at IS NULL))
);
CREATE INDEX break_glass_grants_holder ON break_glass_grants (user_id, person_id, expires_at);
CREATE INDEX break_glass_grants_queue ON break_glass_grants (org_id, reviewed_at, started_at);
CREATE INDEX break_glass_grants_open ON break_glass_grants (ended_at, expires_at);

-- A single-use invitation for one member of a person's circle of support. Only a hash of the
-- code is kept, so a copy of the database does not hold working invitations.
CREATE TABLE supporter_invites (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    person_id     BLOB NOT NULL REFERENCES people(id),
    member_id     BLOB NOT NULL REFERENCES circle_members(id),
    code_hash     TEXT NOT NULL UNIQUE,
    created_by    BLOB NOT NULL REFERENCES users(id),
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT,
    used_by       BLOB REFERENCES users(id),
    cancelled_at  TEXT,
    CHECK (expires_at > created_at),
    CHECK ((used_at IS NULL) = (used_by IS NULL))
);
CREATE INDEX supporter_invites_member ON supporter_invites (member_id);
CREATE INDEX circle_members_account ON circle_members (account_id);
