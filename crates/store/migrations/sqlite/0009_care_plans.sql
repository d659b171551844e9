-- The care and support plan, kept as numbered versions, and consent to share.
--
-- A version's content is the domain's PlanContent as JSON. Once a version leaves 'draft' its
-- content and agreement never change again (the trigger below refuses it), so every agreed
-- version is kept exactly as it was agreed. At most one draft and at most one plan in force
-- (active or under review) per person, by partial unique indexes.

CREATE TABLE plan_versions (
    id            BLOB PRIMARY KEY,
    org_id        BLOB NOT NULL REFERENCES organisations(id),
    person_id     BLOB NOT NULL REFERENCES people(id),
    number        INTEGER NOT NULL CHECK (number >= 1),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'agreed', 'active', 'under-review', 'superseded')),
    content       TEXT NOT NULL,             -- PlanContent as JSON
    agreement     TEXT,                      -- Agreement as JSON, once agreed
    agreed_on     TEXT,
    review_due    TEXT,
    recorded_by   BLOB REFERENCES users(id), -- who recorded the agreement
    created_by    BLOB REFERENCES users(id),
    version       BIGINT NOT NULL,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    UNIQUE (person_id, number),
    CHECK ((status = 'draft') = (agreement IS NULL)),
    CHECK ((agreement IS NULL) = (review_due IS NULL)),
    CHECK ((agreement IS NULL) = (agreed_on IS NULL))
);
CREATE UNIQUE INDEX plan_versions_one_draft ON plan_versions (person_id) WHERE status = 'draft';
CREATE UNIQUE INDEX plan_versions_one_in_force ON plan_versions (person_id) WHERE status IN ('active', 'under-review');
CREATE INDEX plan_versions_review_due ON plan_versions (org_id, status, review_due);

CREATE TRIGGER plan_versions_agreed_unchanged BEFORE UPDATE ON plan_versions
WHEN OLD.status <> 'draft' AND (NEW.content IS NOT OLD.content OR NEW.agreement IS NOT OLD.agreement)
BEGIN
    SELECT RAISE(ABORT, 'an agreed plan version cannot be changed; start a new draft');
END;

CREATE TABLE share_consents (
    id                BLOB PRIMARY KEY,
    org_id            BLOB NOT NULL REFERENCES organisations(id),
    person_id         BLOB NOT NULL REFERENCES people(id),
    details           TEXT NOT NULL,         -- ConsentDetails as JSON
    member_id         BLOB REFERENCES circle_members(id),
    valid_from        TEXT NOT NULL,
    valid_until       TEXT,
    withdrawn_on      TEXT,
    withdrawn_reason  TEXT,
    withdrawn_by      BLOB REFERENCES users(id),
    recorded_by       BLOB REFERENCES users(id),
    version           BIGINT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CHECK ((withdrawn_on IS NULL) = (withdrawn_reason IS NULL))
);
CREATE INDEX share_consents_person ON share_consents (person_id);
CREATE INDEX share_consents_member ON share_consents (member_id);
