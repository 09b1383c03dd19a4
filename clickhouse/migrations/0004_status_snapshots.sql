-- Status snapshots: the status of a coalition, computed once and read many
-- times (docs/performance.md). A snapshot is used only while it is exactly
-- what computing the status afresh would give:
--
-- ingest_marks counts, per coalition, the batches InsertEvents has stored
-- (one row per coalition per batch, summed in the background). A snapshot
-- records the count it was computed after; a later batch makes it stale.
CREATE TABLE IF NOT EXISTS ingest_marks
(
    coalition String,
    batches   UInt64
)
ENGINE = SummingMergeTree
ORDER BY coalition;

-- status_snapshots holds the status of a coalition as of as_of, as the JSON
-- of []schema.CountryStatus, computed by the status rules identified by
-- rules (a hash of their SQL). valid_until is the first moment at which the
-- clock alone could change the answer: the earliest pledge deadline at or
-- after as_of, or the earliest reported_at after it.
CREATE TABLE IF NOT EXISTS status_snapshots
(
    coalition   String,
    rules       String,
    marks       UInt64,
    as_of       DateTime('UTC'),
    valid_until DateTime('UTC'),
    computed_at DateTime('UTC'),
    compute_ms  UInt32,
    countries   UInt32,
    body        String
)
ENGINE = ReplacingMergeTree(marks)
ORDER BY (coalition, rules);
