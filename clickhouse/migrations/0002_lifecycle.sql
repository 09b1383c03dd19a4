-- The commitment lifecycle (issue 3): retractions, pledge stages and
-- deadlines. One column per statement: ClickHouse 18.16 has no
-- ADD COLUMN IF NOT EXISTS, so the migration runner treats "column already
-- exists" as done, and each column must be its own statement.
ALTER TABLE events ADD COLUMN retracted UInt8 DEFAULT 0;
ALTER TABLE events ADD COLUMN stage String DEFAULT '';
ALTER TABLE events ADD COLUMN deadline DateTime('UTC') DEFAULT toDateTime(0, 'UTC');
