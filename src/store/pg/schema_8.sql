-- `citygrid serve` on a server keeps what it keeps in a file: the terminals' sessions (a token's
-- SHA-256 with the account's epoch and the expiry) and the writes terminals made, by the id the
-- device gave each. The service connects as the owner; no seat login reads or writes them.
CREATE TABLE terminal_sessions (
  token_hash text PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), epoch bigint NOT NULL,
  created_at text NOT NULL, expires_at text NOT NULL, ended_at text, client text NOT NULL DEFAULT '');
CREATE TABLE terminal_requests (
  request_id text PRIMARY KEY, user_id bigint NOT NULL REFERENCES users(id), at text NOT NULL,
  kind text NOT NULL, response text NOT NULL);
