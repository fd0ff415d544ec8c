-- Issue 13 (review metrics). One text for both dialects (placeholders: see 0001_initial.sql).
-- Adds the review-metrics columns (CONTRACT.md, "Review-metrics data"), the timeline table, and a
-- flag that makes the next sync of every repository synced before this upgrade a full refetch,
-- so that its old rows gain the new fields (the flag is cleared with that refetch's cursor).

ALTER TABLE github.pull_requests ADD COLUMN body TEXT;
ALTER TABLE github.pull_requests ADD COLUMN additions INTEGER;
ALTER TABLE github.pull_requests ADD COLUMN deletions INTEGER;
ALTER TABLE github.pull_requests ADD COLUMN changed_files INTEGER;
ALTER TABLE github.pull_requests ADD COLUMN commits INTEGER;
ALTER TABLE github.pull_requests ADD COLUMN comments INTEGER;
-- Lists: native arrays, sorted, never NULL (empty when none).
ALTER TABLE github.pull_requests ADD COLUMN labels ${text_array} NOT NULL DEFAULT ${empty_array};
ALTER TABLE github.pull_requests ADD COLUMN assignees ${text_array} NOT NULL DEFAULT ${empty_array};
ALTER TABLE github.pull_requests ADD COLUMN requested_reviewers ${text_array} NOT NULL DEFAULT ${empty_array};
ALTER TABLE github.pull_requests ADD COLUMN requested_teams ${text_array} NOT NULL DEFAULT ${empty_array};
ALTER TABLE github.pull_requests ADD COLUMN merged_by_login TEXT;
ALTER TABLE github.pull_requests ADD COLUMN merge_commit_sha TEXT;
ALTER TABLE github.pull_requests ADD COLUMN head_sha TEXT;
ALTER TABLE github.pull_requests ADD COLUMN base_sha TEXT;
ALTER TABLE github.pull_requests ADD COLUMN author_association TEXT;
ALTER TABLE github.pull_requests ADD COLUMN is_cross_repository BOOLEAN;
ALTER TABLE github.pull_requests ADD COLUMN ready_for_review_at TIMESTAMPTZ;

ALTER TABLE github.pull_request_reviews ADD COLUMN body TEXT;
ALTER TABLE github.pull_request_reviews ADD COLUMN author_association TEXT;

CREATE TABLE IF NOT EXISTS github.pull_request_timeline (
    repo                TEXT        NOT NULL,
    repo_id             BIGINT      NOT NULL,
    pr_number           INTEGER     NOT NULL,
    node_id             TEXT        NOT NULL,  -- GitHub's global node id, next format
    event               TEXT        NOT NULL CHECK (event IN
        ('review_requested', 'review_request_removed', 'ready_for_review', 'convert_to_draft')),
    actor_login         TEXT,
    requested_reviewer  TEXT,                  -- login of a requested user (or bot), else NULL
    requested_team      TEXT,                  -- slug of a requested team, else NULL
    created_at          TIMESTAMPTZ NOT NULL,
    synced_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, node_id)
);

-- A PR's timeline rows are replaced as a whole on every sync of that PR.
CREATE INDEX IF NOT EXISTS pull_request_timeline_repo_pr_number_idx
    ON github.pull_request_timeline (repo, pr_number);

-- Sync bookkeeping, not data: the ETag of each PR's single-page REST review list (strategy rest).
-- Asked again with If-None-Match, GitHub answers 304 when the reviews did not change, which costs
-- no rate-limit point; the stored reviews are then GitHub's current ones and are kept.
CREATE TABLE IF NOT EXISTS github.rest_etags (
    repo       TEXT    NOT NULL,
    pr_number  INTEGER NOT NULL,
    resource   TEXT    NOT NULL CHECK (resource IN ('reviews')),
    etag       TEXT    NOT NULL,
    PRIMARY KEY (repo, pr_number, resource)
);

ALTER TABLE github.sync_state ADD COLUMN needs_full_refetch BOOLEAN NOT NULL DEFAULT false;
-- Every repository with stored state predates the new columns: refetch it in full once.
UPDATE github.sync_state SET needs_full_refetch = true;

-- Postgres databases created by the first release have this index (it served only
-- Warehouse.recent_pull_request_numbers, which nothing called; removed).
DROP INDEX IF EXISTS github.pull_requests_repo_updated_at_idx;
