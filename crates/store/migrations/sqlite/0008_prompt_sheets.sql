-- The person's prompt sheet for a review: what they want it to hear, written beforehand.
ALTER TABLE reviews ADD COLUMN prompt_sheet TEXT;        -- PromptSheet as JSON
ALTER TABLE reviews ADD COLUMN prompt_sheet_at TEXT;
ALTER TABLE reviews ADD COLUMN prompt_sheet_by BLOB REFERENCES users(id);

-- Amendments to a signed-off review: the record itself never changes; a later correction is
-- added beside it, saying what and why, and who made it.
CREATE TABLE review_amendments (
    id         BLOB PRIMARY KEY,
    org_id     BLOB NOT NULL REFERENCES organisations(id),
    review_id  BLOB NOT NULL REFERENCES reviews(id),
    body       TEXT NOT NULL,
    made_by    BLOB REFERENCES users(id),
    made_at    TEXT NOT NULL
);
CREATE INDEX review_amendments_review ON review_amendments (review_id, made_at);
