-- Tamper evidence for the audit log. Each organisation's entries form a chain (entries with no
-- organisation, such as failed sign-ins, form their own chain under the nil id): every entry
-- carries its number in the chain, the hash of the entry before it, and its own SHA-256 hash
-- over both and all its fields. audit_chains holds each chain's head, so entries removed from
-- the end are noticed too. `carethread audit verify` walks the chains. Entries written before
-- this migration carry no chain and are reported as such.
--
-- The log is append-only: triggers refuse any change, removal or truncation.

ALTER TABLE audit_log ADD COLUMN chain UUID;
ALTER TABLE audit_log ADD COLUMN seq BIGINT;
ALTER TABLE audit_log ADD COLUMN prev_hash TEXT;
ALTER TABLE audit_log ADD COLUMN hash TEXT;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain, seq);

CREATE TABLE audit_chains (
    org_id  UUID PRIMARY KEY,   -- the organisation, or the nil id for entries without one
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL
);

CREATE TABLE audit_checkpoints (
    id      UUID PRIMARY KEY,
    org_id  UUID NOT NULL,      -- the chain
    seq     BIGINT NOT NULL,
    hash    TEXT NOT NULL,
    at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX audit_checkpoints_chain ON audit_checkpoints (org_id, seq);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();
