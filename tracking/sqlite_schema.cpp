#include "tracking/sqlite_schema.h"

#include <array>

namespace cohortwatch::tracking {

namespace {

// Dates are ISO 8601 TEXT ("YYYY-MM-DD"), readable with the sqlite3 shell and ordered as text.
constexpr std::array kMigrations = {
    Migration{1, "canonical records: people, their history, offences, outcomes", R"sql(
CREATE TABLE people (
  id            INTEGER PRIMARY KEY,
  person_id     TEXT NOT NULL UNIQUE,
  first_name    TEXT,
  last_name     TEXT,
  date_of_birth TEXT NOT NULL,
  gender        TEXT,
  ethnicity     TEXT,
  looked_after  INTEGER,
  caseworker    TEXT,
  team          TEXT,
  updated_at    TEXT
);
CREATE TABLE person_changes (
  id          INTEGER PRIMARY KEY,
  person_ref  INTEGER NOT NULL REFERENCES people(id),
  field       TEXT NOT NULL,
  old_value   TEXT,
  new_value   TEXT,
  changed_at  TEXT NOT NULL,
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX person_changes_by_person ON person_changes(person_ref);
CREATE TABLE offences (
  id           INTEGER PRIMARY KEY,
  offence_id   TEXT NOT NULL UNIQUE,
  person_ref   INTEGER NOT NULL REFERENCES people(id),
  offence_date TEXT NOT NULL,
  offence_code TEXT,
  description  TEXT,
  gravity      INTEGER CHECK (gravity BETWEEN 1 AND 8),
  breach       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX offences_by_person ON offences(person_ref);
CREATE TABLE outcomes (
  id           INTEGER PRIMARY KEY,
  outcome_id   TEXT NOT NULL UNIQUE,
  person_ref   INTEGER NOT NULL REFERENCES people(id),
  offence_ref  INTEGER REFERENCES offences(id),
  outcome_type TEXT NOT NULL,
  outcome_date TEXT NOT NULL
);
CREATE INDEX outcomes_by_person ON outcomes(person_ref);
CREATE INDEX outcomes_by_offence ON outcomes(offence_ref);
)sql"},
    Migration{2, "rejected rows kept for review and retry", R"sql(
CREATE TABLE rejected_rows (
  id          INTEGER PRIMARY KEY,
  source      TEXT NOT NULL,
  file        TEXT NOT NULL,
  line        INTEGER NOT NULL,
  kind        TEXT NOT NULL,
  reason      TEXT NOT NULL,
  raw         TEXT NOT NULL,
  header      TEXT NOT NULL,
  first_seen  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  last_seen   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  resolved_at TEXT,
  UNIQUE (source, file, line, raw)
);
CREATE INDEX rejected_rows_pending ON rejected_rows(resolved_at);
)sql"},
    Migration{3, "sources: files taken, source state, change events", R"sql(
CREATE TABLE source_files (
  id            INTEGER PRIMARY KEY,
  source        TEXT NOT NULL,
  content_hash  TEXT NOT NULL,
  name          TEXT NOT NULL,
  size          INTEGER NOT NULL,
  status        TEXT NOT NULL CHECK (status IN ('taken', 'rejected')),
  rows_taken    INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0,
  error         TEXT,
  taken_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  UNIQUE (source, content_hash)
);
CREATE TABLE source_state (
  source        TEXT PRIMARY KEY,
  etag          TEXT,
  last_modified TEXT,
  cursor        TEXT,
  last_run      TEXT,
  last_success  TEXT,
  last_error    TEXT,
  files_taken   INTEGER NOT NULL DEFAULT 0,
  requests      INTEGER NOT NULL DEFAULT 0,
  rows_taken    INTEGER NOT NULL DEFAULT 0,
  rows_rejected INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE events (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  person_ref   INTEGER REFERENCES people(id),
  occurred_on  TEXT,
  detail       TEXT NOT NULL,
  source       TEXT NOT NULL,
  recorded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  evaluated_at TEXT
);
CREATE INDEX events_unevaluated ON events(evaluated_at) WHERE evaluated_at IS NULL;
)sql"},
    Migration{4, "alerts, the outbox, actions and reviews", R"sql(
CREATE TABLE alerts (
  id          INTEGER PRIMARY KEY,
  rule_id     TEXT NOT NULL,
  person_ref  INTEGER NOT NULL REFERENCES people(id),
  subject     TEXT NOT NULL DEFAULT '',
  event_id    INTEGER REFERENCES events(id),
  cohort      TEXT,
  severity    TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high')),
  deliver     TEXT NOT NULL CHECK (deliver IN ('immediately', 'digest')),
  fired_on    TEXT NOT NULL,
  reasons     TEXT NOT NULL,
  fired_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  digested_at TEXT
);
CREATE INDEX alerts_by_rule ON alerts(rule_id, person_ref, subject, fired_on);
CREATE INDEX alerts_by_date ON alerts(fired_on);
CREATE TABLE outbox (
  id              INTEGER PRIMARY KEY,
  channel         TEXT NOT NULL,
  recipient       TEXT NOT NULL DEFAULT '',
  kind            TEXT NOT NULL,
  alert_ref       INTEGER REFERENCES alerts(id),
  subject         TEXT NOT NULL,
  body            TEXT NOT NULL,
  status          TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
  attempts        INTEGER NOT NULL DEFAULT 0,
  created_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  next_attempt_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  last_attempt_at TEXT,
  last_error      TEXT,
  sent_at         TEXT,
  ambiguous       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
CREATE TABLE actions (
  id           INTEGER PRIMARY KEY,
  person_ref   INTEGER NOT NULL REFERENCES people(id),
  description  TEXT NOT NULL,
  owner        TEXT NOT NULL,
  due_on       TEXT,
  status       TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done', 'cancelled')),
  notes        TEXT,
  recorded_by  TEXT NOT NULL,
  recorded_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
  updated_at   TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX actions_by_person ON actions(person_ref);
CREATE TABLE action_history (
  id          INTEGER PRIMARY KEY,
  action_ref  INTEGER NOT NULL REFERENCES actions(id),
  field       TEXT NOT NULL,
  old_value   TEXT,
  new_value   TEXT,
  changed_by  TEXT NOT NULL,
  changed_at  TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE TABLE reviews (
  id          INTEGER PRIMARY KEY,
  person_ref  INTEGER NOT NULL REFERENCES people(id),
  reviewed_on TEXT NOT NULL,
  note        TEXT,
  recorded_by TEXT NOT NULL,
  recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
CREATE INDEX reviews_by_person ON reviews(person_ref, reviewed_on);
)sql"},
    Migration{5, "schedules: the last slot each fired for", R"sql(
CREATE TABLE schedule_state (
  schedule  TEXT PRIMARY KEY,
  last_slot TEXT NOT NULL,
  fired_at  TEXT NOT NULL
);
CREATE INDEX alerts_undigested ON alerts(id) WHERE deliver = 'digest' AND digested_at IS NULL;
)sql"},
    Migration{6, "manager digests: what each showed, for the change since the last one", R"sql(
CREATE TABLE digest_snapshots (
  id            INTEGER PRIMARY KEY,
  schedule      TEXT NOT NULL,
  produced_at   TEXT NOT NULL,
  as_of         TEXT NOT NULL,
  last_event_id INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX digest_snapshots_by_schedule ON digest_snapshots(schedule, id);
CREATE TABLE digest_snapshot_cohorts (
  snapshot_ref INTEGER NOT NULL REFERENCES digest_snapshots(id),
  cohort       TEXT NOT NULL,
  members      INTEGER NOT NULL,
  reoffenders  INTEGER NOT NULL,
  reoffences   INTEGER NOT NULL,
  PRIMARY KEY (snapshot_ref, cohort)
);
)sql"},
    // The rules take events strictly in id order, so what they have evaluated is a prefix of the
    // events: one cursor row instead of a mark on every event (and the partial index every
    // ingested event was also written into).
    Migration{7, "change events: the rules' progress as one cursor instead of a mark per event", R"sql(
CREATE TABLE rules_progress (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  last_event_id INTEGER NOT NULL,
  updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now'))
);
INSERT INTO rules_progress (id, last_event_id)
  SELECT 1, coalesce((SELECT min(id) - 1 FROM events WHERE evaluated_at IS NULL),
                     (SELECT max(id) FROM events), 0);
DROP INDEX events_unevaluated;
ALTER TABLE events DROP COLUMN evaluated_at;
)sql"},
};

}  // namespace

std::span<const Migration> sqliteMigrations() { return kMigrations; }

}  // namespace cohortwatch::tracking
