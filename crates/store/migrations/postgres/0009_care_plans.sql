-- The care and support plan, kept as numbered versions, and consent to share.
--
-- A version's content is the domain's PlanContent as JSON. Once a version leaves 'draft' its
-- content and agreement never change again (the trigger below refuses it), so every agreed
-- version is kept exactly as it was agreed. At most one draft and at most one plan in force
-- (active or under review) per person, by partial unique indexes.

CREATE TABLE plan_versions (
    id            UUID PRIMARY KEY,
    org_id        UUID NOT NULL REFERENCES organisations(id),
    person_id     UUID NOT NULL REFERENCES people(id),
    number        INTEGER NOT NULL CHECK (number >= 1),
    status        TEXT NOT NULL CHECK (status IN ('draft', 'agreed', 'active', 'under-review', 'superseded')),
    content       TEXT NOT NULL,             -- PlanContent as JSON
    agreement     TEXT,                      -- Agreement as JSON, once agreed
    agreed_on     DATE,
    review_due    DATE,
    recorded_by   UUID REFERENCES users(id), -- who recorded the agreement
    created_by    UUID REFERENCES users(id),
    version       BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    UNIQUE (person_id, number),
    CHECK ((status = 'draft') = (agreement IS NULL)),
    CHECK ((agreement IS NULL) = (review_due IS NULL)),
    CHECK ((agreement IS NULL) = (agreed_on IS NULL))
);
CREATE UNIQUE INDEX plan_versions_one_draft ON plan_versions (person_id) WHERE status = 'draft';
CREATE UNIQUE INDEX plan_versions_one_in_force ON plan_versions (person_id) WHERE status IN ('active', 'under-review');
CREATE INDEX plan_versions_review_due ON plan_versions (org_id, status, review_due);

CREATE FUNCTION plan_versions_agreed_unchanged() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status <> 'draft' AND (NEW.content IS DISTINCT FROM OLD.content OR NEW.agreement IS DISTINCT FROM OLD.agreement) THEN
        RAISE EXCEPTION 'an agreed plan version cannot be changed; start a new draft';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER plan_versions_agreed_unchanged BEFORE UPDATE ON plan_versions
FOR EACH ROW EXECUTE FUNCTION plan_versions_agreed_unchanged();

CREATE TABLE share_consents (
    id                UUID PRIMARY KEY,
    org_id            UUID NOT NULL REFERENCES organisations(id),
    person_id         UUID NOT NULL REFERENCES people(id),
    details           TEXT NOT NULL,         -- ConsentDetails as JSON
    member_id         UUID REFERENCES circle_members(id),
    valid_from        DATE NOT NULL,
    valid_until       DATE,
    withdrawn_on      DATE,
    withdrawn_reason  TEXT,
    withdrawn_by      UUID REFERENCES users(id),
    recorded_by       UUID REFERENCES users(id),
    version           BIGINT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CHECK ((withdrawn_on IS NULL) = (withdrawn_reason IS NULL))
);
CREATE INDEX share_consents_person ON share_consents (person_id);
CREATE INDEX share_consents_member ON share_consents (member_id);
