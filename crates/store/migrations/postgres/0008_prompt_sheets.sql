-- The person's prompt sheet for a review: what they want it to hear, written beforehand.
ALTER TABLE reviews ADD COLUMN prompt_sheet TEXT;        -- PromptSheet as JSON
ALTER TABLE reviews ADD COLUMN prompt_sheet_at TIMESTAMPTZ;
ALTER TABLE reviews ADD COLUMN prompt_sheet_by UUID REFERENCES users(id);

-- Amendments to a signed-off review: the record itself never changes; a later correction is
-- added beside it, saying what and why, and who made it.
CREATE TABLE review_amendments (
    id         UUID PRIMARY KEY,
    org_id     UUID NOT NULL REFERENCES organisations(id),
    review_id  UUID NOT NULL REFERENCES reviews(id),
    body       TEXT NOT NULL,
    made_by    UUID REFERENCES users(id),
    made_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX review_amendments_review ON review_amendments (review_id, made_at);
