-- sync_state.status gains 'interrupted' (issue 9.1: a sync stopped by Ctrl-C / SIGTERM / a run
-- termination). DuckDB cannot drop or change a CHECK constraint, but it can drop the column that
-- carries it: the column is rebuilt (NOT NULL kept). The engine only ever writes the four values
-- of prsync_dagster.warehouse.base.SyncStatus.
ALTER TABLE github.sync_state ADD COLUMN status_0003 TEXT;
UPDATE github.sync_state SET status_0003 = status;
ALTER TABLE github.sync_state DROP COLUMN status;
ALTER TABLE github.sync_state RENAME COLUMN status_0003 TO status;
ALTER TABLE github.sync_state ALTER COLUMN status SET NOT NULL;
