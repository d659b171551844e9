-- How often a case is reviewed and when next, agreed in the progress theme.
ALTER TABLE cases ADD COLUMN review_every_weeks BIGINT;
ALTER TABLE cases ADD COLUMN next_review_on TEXT;
