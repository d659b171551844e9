-- Two-factor sign-in for staff: a one-time code from an authenticator app after the password.
-- An organisation can make it mandatory for its staff.

ALTER TABLE organisations ADD COLUMN require_two_factor BOOLEAN NOT NULL DEFAULT false;

-- The shared secret (base 32) once confirmed; while being set up it waits in pending. The last
-- accepted 30-second step makes each code work once.
ALTER TABLE users ADD COLUMN totp_secret TEXT;
ALTER TABLE users ADD COLUMN totp_pending TEXT;
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;

-- Between a correct password and a correct code: the browser holds a random token (only its
-- hash is kept), for five minutes and five tries.
CREATE TABLE sign_in_challenges (
    id          UUID PRIMARY KEY,
    org_id      UUID NOT NULL REFERENCES organisations(id),
    user_id     UUID NOT NULL REFERENCES users(id),
    token_hash  TEXT NOT NULL UNIQUE,
    next        TEXT NOT NULL,
    attempts    INTEGER NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX sign_in_challenges_created ON sign_in_challenges (created_at);
