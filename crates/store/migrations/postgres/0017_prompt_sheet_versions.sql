-- Each save of a review's prompt sheet counts a version, so that two people filling it in at
-- once (the person on their phone, their key worker on the review page, another system through
-- FHIR) never overwrite each other unseen: a save names the version it started from.
ALTER TABLE reviews ADD COLUMN prompt_sheet_version BIGINT NOT NULL DEFAULT 0;
UPDATE reviews SET prompt_sheet_version = 1 WHERE prompt_sheet IS NOT NULL;
