-- A chain's head follows its last entry as that entry is written, inside the same statement.
-- Writing an audited change used to take three statements after the change itself (take the
-- next places in the chain, write the entries, move the head's hash on); on SQLite each holds
-- the single writer up, so every audited write now takes two. The head's place (`seq`) is
-- still taken first, which is what holds the chain for the transaction; the entry written into
-- that place carries the hash the head must show.
CREATE TRIGGER audit_log_moves_chain_head AFTER INSERT ON audit_log
WHEN NEW.chain IS NOT NULL
BEGIN
    UPDATE audit_chains SET hash = NEW.hash WHERE org_id = NEW.chain AND seq = NEW.seq;
END;
