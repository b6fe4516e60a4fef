-- Failed password logins (postgres; keep in step with
-- sqlite/migrations/0008_login_failures.sql), so that the limit on
-- guesses (auth.LoginGuard) holds across every node and over restarts.
-- key is "a:" + account name or "c:" + client address; at is Unix
-- microseconds. Rows older than the guard's window are pruned.
CREATE TABLE login_failures (
	key TEXT NOT NULL,
	at  BIGINT NOT NULL
);
CREATE INDEX login_failures_key_at ON login_failures (key, at);
CREATE INDEX login_failures_at ON login_failures (at);
