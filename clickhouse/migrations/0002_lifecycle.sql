-- The commitment lifecycle: retractions, pledge stages, deadlines, exact
-- quantities. One column per statement: ClickHouse 18.16 has no
-- ADD COLUMN IF NOT EXISTS, so the migration runner treats "column already
-- exists" as done, and each column must be its own statement.
ALTER TABLE events ADD COLUMN retracted UInt8 DEFAULT 0;
ALTER TABLE events ADD COLUMN stage String DEFAULT '';
ALTER TABLE events ADD COLUMN deadline DateTime('UTC') DEFAULT toDateTime(0, 'UTC');
-- Quantities in whole thousandths: sums and comparisons are exact whatever
-- the order rows are added in (schema.Milli).
ALTER TABLE events ADD COLUMN quantity_milli Int64 DEFAULT toInt64(round(quantity * 1000));
