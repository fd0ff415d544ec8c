-- Review metrics (issue 10): one text for DuckDB and Postgres (the types are spelled alike in both).
-- Both tables are derived: recomputed from pull_requests, pull_request_reviews and
-- pull_request_timeline by prsync_dagster/metrics/sql.py (definitions: shared CONTRACT.md,
-- "Review-metrics data"). Hours are floats; a metric whose inputs are missing is NULL.

CREATE TABLE IF NOT EXISTS github.pull_request_metrics (
    repo                       TEXT             NOT NULL,
    number                     INTEGER          NOT NULL,
    author_login               TEXT,
    title                      TEXT,
    html_url                   TEXT,
    state                      TEXT,
    draft                      BOOLEAN,
    created_at                 TIMESTAMPTZ      NOT NULL,
    ready_for_review_at        TIMESTAMPTZ,
    merged_at                  TIMESTAMPTZ,
    closed_at                  TIMESTAMPTZ,
    size                       INTEGER,          -- additions + deletions
    first_review_requested_at  TIMESTAMPTZ,
    first_review_at            TIMESTAMPTZ,
    first_approval_at          TIMESTAMPTZ,
    hours_to_first_review      DOUBLE PRECISION,
    hours_pickup               DOUBLE PRECISION,
    hours_to_approval          DOUBLE PRECISION,
    hours_to_merge             DOUBLE PRECISION,
    review_count               INTEGER          NOT NULL,
    reviewer_count             INTEGER          NOT NULL,
    changes_requested_count    INTEGER          NOT NULL,
    approvals_before_merge     INTEGER,
    merged_without_review      BOOLEAN          NOT NULL,
    computed_at                TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (repo, number)
);

CREATE TABLE IF NOT EXISTS github.review_metrics_weekly (
    repo                          TEXT             NOT NULL,
    week                          DATE             NOT NULL,  -- Monday (UTC) of the ISO week
    prs_opened                    INTEGER          NOT NULL,
    prs_merged                    INTEGER          NOT NULL,
    median_hours_to_first_review  DOUBLE PRECISION,
    p90_hours_to_first_review     DOUBLE PRECISION,
    median_hours_to_merge         DOUBLE PRECISION,
    median_size                   DOUBLE PRECISION,
    computed_at                   TIMESTAMPTZ      NOT NULL,
    PRIMARY KEY (repo, week)
);
