-- Tamper evidence for the audit log. Each organisation's entries form a chain (entries with no
-- organisation, such as failed sign-ins, form their own chain under the nil id): every entry
-- carries its number in the chain, the hash of the entry before it, and its own SHA-256 hash
-- over both and all its fields. audit_chains holds each chain's head, so entries removed from
-- the end are noticed too. `carethread audit verify` walks the chains. Entries written before
-- this migration carry no chain and are reported as such.
--
-- The log is append-only: triggers refuse any change or removal.

ALTER TABLE audit_log ADD COLUMN chain BLOB;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, seq);

CREATE TABLE audit_chains (
    org_id  BLOB PRIMARY KEY,   -- the organisation, or the nil id for entries without one
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    id      BLOB PRIMARY KEY,
    org_id  BLOB NOT NULL,      -- the chain
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL,
    at      TEXT NOT NULL
);
CREATE INDEX audit_checkpoints_chain ON audit_checkpoints (org_id, seq);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
