-- sync_state.status gains 'interrupted' (issue 9.1: a sync stopped by Ctrl-C / SIGTERM / a run
-- termination).
ALTER TABLE github.sync_state DROP CONSTRAINT IF EXISTS sync_state_status_check;
ALTER TABLE github.sync_state ADD CONSTRAINT sync_state_status_check
    CHECK (status IN ('running', 'ok', 'error', 'interrupted'));
