-- Tasks: agreed actions with an owner and a status, always. The CHECKs make an ownerless or
-- statusless task impossible, and a blocked task without its reason.

CREATE TABLE tasks (
    id               BLOB PRIMARY KEY,
    org_id           BLOB NOT NULL REFERENCES organisations(id),
    person_id        BLOB NOT NULL REFERENCES people(id),
    title            TEXT NOT NULL,
    theme            TEXT,
    due_on           TEXT NOT NULL,
    status           TEXT NOT NULL CHECK (status IN ('requested', 'accepted', 'in-progress', 'done', 'cancelled', 'blocked')),
    blocked_reason   TEXT,
    owner_kind       TEXT NOT NULL CHECK (owner_kind IN ('person', 'member', 'staff', 'team')),
    owner_member_id  BLOB REFERENCES circle_members(id),
    owner_user_id    BLOB REFERENCES users(id),
    owner_team_id    BLOB REFERENCES teams(id),
    review_id        BLOB REFERENCES reviews(id),   -- the review it was agreed at (the golden thread)
    created_by       BLOB REFERENCES users(id),
    version          BIGINT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    CHECK ((status = 'blocked') = (blocked_reason IS NOT NULL)),
    CHECK (
        (owner_kind = 'person' AND owner_member_id IS NULL AND owner_user_id IS NULL AND owner_team_id IS NULL) OR
        (owner_kind = 'member' AND owner_member_id IS NOT NULL AND owner_user_id IS NULL AND owner_team_id IS NULL) OR
        (owner_kind = 'staff' AND owner_user_id IS NOT NULL AND owner_member_id IS NULL AND owner_team_id IS NULL) OR
        (owner_kind = 'team' AND owner_team_id IS NOT NULL AND owner_member_id IS NULL AND owner_user_id IS NULL)
    )
);
CREATE INDEX tasks_person ON tasks (person_id, status);
CREATE INDEX tasks_owner_user ON tasks (owner_user_id, status);
CREATE INDEX tasks_owner_team ON tasks (owner_team_id, status);
CREATE INDEX tasks_owner_member ON tasks (owner_member_id, status);
