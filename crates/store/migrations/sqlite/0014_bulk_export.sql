-- FHIR bulk data export ($export): a job per request, run in the background, its NDJSON files
-- kept in parts so a large export never has to sit in memory. Jobs are kept for a day.

CREATE TABLE export_jobs (
    id           BLOB PRIMARY KEY,
    org_id       BLOB NOT NULL REFERENCES organisations(id),
    user_id      BLOB NOT NULL REFERENCES users(id),
    request      TEXT NOT NULL,
    status       TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
    error        TEXT,
    created_at   TEXT NOT NULL,
    finished_at  TEXT
);
CREATE INDEX export_jobs_created ON export_jobs (created_at);

CREATE TABLE export_files (
    job_id         BLOB NOT NULL REFERENCES export_jobs(id) ON DELETE CASCADE,
    org_id         BLOB NOT NULL REFERENCES organisations(id),
    resource_type  TEXT NOT NULL,
    part           INTEGER NOT NULL,
    line_count     INTEGER NOT NULL,
    content        TEXT NOT NULL,
    PRIMARY KEY (job_id, resource_type, part)
);
