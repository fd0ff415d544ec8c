-- Schema github. One text for both dialects: the placeholders (dollar, name in braces) are the
-- types that differ, filled in per dialect by prsync_dagster/warehouse/migrate.py (DIALECT_TYPES).

CREATE TABLE IF NOT EXISTS github.pull_requests (
    repo          TEXT        NOT NULL,  -- lower-cased owner/name: the Dagster partition key
    repo_id       BIGINT      NOT NULL,
    number        INTEGER     NOT NULL,
    id            BIGINT      NOT NULL,
    title         TEXT        NOT NULL,
    state         TEXT        NOT NULL CHECK (state IN ('open', 'closed')),
    draft         BOOLEAN     NOT NULL,
    merged        BOOLEAN     NOT NULL,
    author_login  TEXT,                  -- NULL when the author's account was deleted
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL,
    closed_at     TIMESTAMPTZ,
    merged_at     TIMESTAMPTZ,
    base_ref      TEXT        NOT NULL,
    head_ref      TEXT        NOT NULL,
    html_url      TEXT        NOT NULL,
    synced_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, number)
);


CREATE TABLE IF NOT EXISTS github.pull_request_reviews (
    repo          TEXT        NOT NULL,
    repo_id       BIGINT      NOT NULL,
    pr_number     INTEGER     NOT NULL,
    id            BIGINT      NOT NULL,  -- GitHub's review id
    author_login  TEXT,
    state         TEXT        NOT NULL
        CHECK (state IN ('APPROVED', 'CHANGES_REQUESTED', 'COMMENTED', 'DISMISSED', 'PENDING')),
    submitted_at  TIMESTAMPTZ,           -- NULL for PENDING reviews
    commit_id     TEXT,
    synced_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (repo, id)
);

-- A PR's reviews are replaced as a whole on every sync of that PR.
CREATE INDEX IF NOT EXISTS pull_request_reviews_repo_pr_number_idx
    ON github.pull_request_reviews (repo, pr_number);

CREATE TABLE IF NOT EXISTS github.sync_state (
    repo             TEXT        NOT NULL PRIMARY KEY,
    repo_id          BIGINT,
    full_name        TEXT,
    status           TEXT        NOT NULL CHECK (status IN ('running', 'ok', 'error')),
    cursor           TIMESTAMPTZ,        -- high-water mark of PR updated_at covered by stored rows
    etag             TEXT,
    probe_url        TEXT,
    last_attempt_at  TIMESTAMPTZ,
    last_success_at  TIMESTAMPTZ,
    last_error       TEXT,
    last_error_at    TIMESTAMPTZ,
    strategy         TEXT,
    last_report      ${json}
);
