-- sync_state.status gains 'interrupted' (issue 9.1: a sync stopped by Ctrl-C / SIGTERM / a run
-- termination). DuckDB can neither drop nor change a CHECK constraint, but it can drop the column
-- that carries it: the column is rebuilt as an ENUM, which refuses other values as the CHECK did.
-- (DuckDB cannot restore NOT NULL in the same transaction as the copy: every writer sets status.)
CREATE TYPE github.sync_status AS ENUM ('running', 'ok', 'error', 'interrupted');
CREATE TEMP TABLE sync_state_status_0003 AS SELECT repo, status FROM github.sync_state;
ALTER TABLE github.sync_state DROP COLUMN status;
ALTER TABLE github.sync_state ADD COLUMN status github.sync_status;
UPDATE github.sync_state AS s SET status = t.status FROM sync_state_status_0003 AS t WHERE s.repo = t.repo;
DROP TABLE sync_state_status_0003;
