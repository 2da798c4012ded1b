-- The cohort engine's measures (DOMAIN.md, "Definitions") as one SQL query over cohortwatch's own
-- database, for bench/run to time the sqlite3 shell against the engine. It does the same work as
-- CohortEngine::compute() with keep_members = false: every quarter's cohort_size, reoffenders
-- and reoffences, with the default methodology (12-month follow-up, 6-month waiting period,
-- ages 10-17, breaches not counted), as of @AS_OF@ (bench/run substitutes the date).
--
-- Known differences on edge cases, none of which changes the amount of work:
--  - SQLite's date(d, '+12 months') does not clamp: 2024-02-29 + 12 months is 2025-03-01 here
--    and 2025-02-28 in the engine (likewise 2025-08-31 + 6 months is 2026-03-03, not
--    2026-02-28), so a member indexed on such a day can gain a few days of follow-up or waiting.
--    SQLite 3.46 added a 'floor' modifier for this; the shell installed here is older.
--  - No data-quality warnings, member lists or pending offences: measures only.
PRAGMA cache_size = -16384;  -- the page cache cohortwatch's store uses
WITH
  -- Only outcomes dated on or before the as-of date are known. The outcome-type table of
  -- DOMAIN.md is written as IN lists: joined as a VALUES table, SQLite would scan the outcomes
  -- once per code.
  known AS (
    SELECT person_ref, offence_ref, outcome_date,
           outcome_type IN ('youth_caution', 'youth_conditional_caution', 'absolute_discharge',
                            'conditional_discharge', 'fine', 'compensation_order',
                            'reparation_order', 'referral_order', 'youth_rehabilitation_order',
                            'other_court', 'detention_training_order', 'custodial_sentence')
             AS proves,
           outcome_type IN ('youth_caution', 'youth_conditional_caution', 'absolute_discharge',
                            'conditional_discharge', 'fine', 'compensation_order',
                            'reparation_order', 'referral_order', 'youth_rehabilitation_order',
                            'other_court', 'release_from_custody')
             AS index_event
    FROM outcomes
    WHERE outcome_date <= '@AS_OF@'),
  -- Each offence counts once, proven on the date of its earliest proving outcome.
  proven AS (
    SELECT offence_ref, min(outcome_date) AS proven_on
    FROM known WHERE proves AND offence_ref IS NOT NULL
    GROUP BY offence_ref),
  -- A child's index event for a quarter is the earliest in that quarter.
  firsts AS (
    SELECT person_ref,
           substr(outcome_date, 1, 4) || 'Q' || ((substr(outcome_date, 6, 2) + 2) / 3) AS quarter,
           min(outcome_date) AS index_date
    FROM known WHERE index_event
    GROUP BY person_ref, quarter),
  -- In the youth cohort when aged 10-17 on the index date (whole years, as ageOn() counts).
  members AS (
    SELECT f.person_ref, f.quarter, f.index_date, f.last_day,
           date(f.last_day, '+6 months') AS proof_deadline
    FROM (SELECT f.*, date(f.index_date, '+12 months') AS last_day,
                 substr(f.index_date, 1, 4) - substr(p.date_of_birth, 1, 4)
                   - (substr(f.index_date, 6) < substr(p.date_of_birth, 6)) AS age
          FROM firsts f JOIN people p ON p.id = f.person_ref) f
    WHERE f.age BETWEEN 10 AND 17),
  -- Proven reoffences: committed in the follow-up (and by the as-of date), not breaches, proven
  -- by the end of the waiting period.
  reoffending AS (
    SELECT m.person_ref, m.quarter, count(*) AS reoffences
    FROM members m
    JOIN offences o ON o.person_ref = m.person_ref
    JOIN proven pr ON pr.offence_ref = o.id
    WHERE o.offence_date > m.index_date AND o.offence_date <= m.last_day
      AND o.offence_date <= '@AS_OF@' AND o.breach = 0 AND pr.proven_on <= m.proof_deadline
    GROUP BY m.person_ref, m.quarter)
SELECT m.quarter, count(*) AS cohort_size, count(r.reoffences) AS reoffenders,
       coalesce(sum(r.reoffences), 0) AS reoffences
FROM members m LEFT JOIN reoffending r ON r.person_ref = m.person_ref AND r.quarter = m.quarter
GROUP BY m.quarter
ORDER BY m.quarter;
