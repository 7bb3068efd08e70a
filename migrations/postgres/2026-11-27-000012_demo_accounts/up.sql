-- Accounts made by `yizhan demo`: refused in the production profile.
ALTER TABLE users ADD COLUMN demo BOOLEAN NOT NULL DEFAULT FALSE;
