-- Comments on theme entries: the person (or anyone working with them) answering what is written
-- about them: "I don't agree", "this has changed". Comments are never edited or removed; a
-- correction is another comment.
CREATE TABLE entry_comments (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    person_id   UUID NOT NULL REFERENCES people(id),
    entry_id    UUID NOT NULL REFERENCES theme_entries(id),
    author_id   UUID NOT NULL REFERENCES users(id),
    body        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX entry_comments_entry ON entry_comments (person_id, entry_id, created_at);
