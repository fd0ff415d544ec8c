#!/bin/sh
# First start of the postgres container in deploy/docker-compose.yaml: one role and database for
# Dagster's own storage, one for the warehouse (separate, so either can move to its own server).
# This single-host example gives both roles POSTGRES_PASSWORD; use distinct secrets elsewhere.
set -eu
psql -v ON_ERROR_STOP=1 --username postgres --set=pw="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE dagster LOGIN PASSWORD :'pw';
CREATE DATABASE dagster OWNER dagster;
CREATE ROLE prsync LOGIN PASSWORD :'pw';
CREATE DATABASE prsync OWNER prsync;
SQL
