-- What the population register knows about each person, case or no case: the figures that
-- find the people who would benefit from care coordination (long-term conditions, frailty,
-- activation, hospital use in the last twelve months). One row per person, replaced whole when
-- a newer extract arrives.

CREATE TABLE population_health (
    person_id         BLOB PRIMARY KEY REFERENCES people(id),
    org_id            BLOB NOT NULL REFERENCES organisations(id),
    conditions        TEXT NOT NULL,      -- long-term condition slugs, sorted, comma-separated
    condition_count   INTEGER NOT NULL CHECK (condition_count >= 0),
    frailty_index     INTEGER NOT NULL CHECK (frailty_index BETWEEN 0 AND 100),  -- eFI in hundredths
    activation_level  INTEGER NOT NULL CHECK (activation_level BETWEEN 1 AND 4),
    admissions        INTEGER NOT NULL CHECK (admissions >= 0),
    emergency_visits  INTEGER NOT NULL CHECK (emergency_visits >= 0),
    recorded_on       TEXT NOT NULL
);
-- Registers and risk lists start from the most complex: many conditions, frail.
CREATE INDEX population_health_complexity ON population_health (org_id, condition_count, frailty_index);
