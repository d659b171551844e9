-- Reviews of a case: who was invited and came, the minutes by theme, and the votes that make
-- the democratic outcome. One vote per attendee per theme per review is a database rule.

CREATE TABLE reviews (
    id             UUID PRIMARY KEY,
    org_id         UUID NOT NULL REFERENCES organisations(id),
    person_id      UUID NOT NULL REFERENCES people(id),
    kind           TEXT NOT NULL,
    scheduled_for  TIMESTAMP NOT NULL,         -- local date and time of the review
    details        TEXT NOT NULL,          -- ReviewDetails as JSON
    minutes        TEXT NOT NULL,          -- Minutes as JSON
    status         TEXT NOT NULL CHECK (status IN ('scheduled', 'signed-off')),
    version        BIGINT NOT NULL,
    created_by     UUID REFERENCES users(id),
    created_at     TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL,
    signed_off_at  TIMESTAMPTZ,
    signed_off_by  UUID REFERENCES users(id)
);
CREATE INDEX reviews_person ON reviews (person_id, scheduled_for);

CREATE TABLE review_attendees (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    review_id   UUID NOT NULL REFERENCES reviews(id),
    name        TEXT NOT NULL,
    role        TEXT NOT NULL,
    is_person   BOOLEAN NOT NULL,          -- the person whose review it is
    member_id   UUID REFERENCES circle_members(id),
    account_id  UUID REFERENCES users(id),  -- lets them vote from their own sign-in
    attendance  TEXT NOT NULL CHECK (attendance IN ('invited', 'present', 'sent-views', 'apologies')),
    created_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (review_id, account_id)
);
CREATE INDEX review_attendees_review ON review_attendees (review_id);

CREATE TABLE review_votes (
    id           UUID PRIMARY KEY,
    org_id       UUID NOT NULL REFERENCES organisations(id),
    review_id    UUID NOT NULL REFERENCES reviews(id),
    attendee_id  UUID NOT NULL REFERENCES review_attendees(id),
    person_id    UUID NOT NULL REFERENCES people(id),
    theme        TEXT NOT NULL,
    vote         TEXT NOT NULL CHECK (vote IN ('progressed', 'unchanged', 'slipped-back')),
    comment      TEXT,
    recorded_by  UUID REFERENCES users(id),
    recorded_at  TIMESTAMPTZ NOT NULL,
    UNIQUE (review_id, attendee_id, theme)
);
CREATE INDEX review_votes_person ON review_votes (person_id, theme);
