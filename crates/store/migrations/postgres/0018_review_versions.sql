-- A review's version now counts every change to it (attendance, votes, the prompt sheet, the
-- minutes, sign-off, amendments), so its version says when anything shown of it changed. The
-- minutes keep a count of their own, which a save of the minutes names: a vote recorded while
-- someone types the minutes does not make their save stale.
ALTER TABLE reviews ADD COLUMN minutes_version BIGINT NOT NULL DEFAULT 1;
UPDATE reviews SET minutes_version = version;
