-- A chain's head follows its last entry as that entry is written, inside the same statement.
-- Writing an audited change used to take three statements after the change itself (take the
-- next places in the chain, write the entries, move the head's hash on); each is a round trip,
-- and on SQLite each holds the single writer up, so every audited write now takes two. The
-- head's place (`seq`) is still taken first, which locks the chain's row for the transaction;
-- the entry written into that place carries the hash the head must show. Once per statement,
-- not per row: a bulk load writes thousands of entries in one statement.
CREATE FUNCTION audit_log_moves_chain_head() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE audit_chains c SET hash = a.hash FROM written a WHERE a.chain = c.org_id AND a.seq = c.seq;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_log_moves_chain_head AFTER INSERT ON audit_log
REFERENCING NEW TABLE AS written
FOR EACH STATEMENT EXECUTE FUNCTION audit_log_moves_chain_head();
