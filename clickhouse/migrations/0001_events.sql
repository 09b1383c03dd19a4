-- Every event as consumed from JetStream: one row per delivery that was
-- written. Redeliveries and duplicates may add rows; readers take one row per
-- event_id (the highest revision, ties broken by data), so duplicates never
-- count twice. Identical rows are also merged away in the background: the
-- sorting key includes a hash of the canonical JSON.
--
-- Runs unchanged on ClickHouse 18.16 and on current releases: no
-- LowCardinality, no DateTime64, no JSON type.
CREATE TABLE IF NOT EXISTS events
(
    event_id      UUID,
    revision      UInt32,
    coalition     String,
    kind          Enum8('meeting' = 1, 'statement' = 2, 'pledge' = 3, 'deployment' = 4, 'withdrawal' = 5, 'sanction' = 6, 'incident' = 7),
    actor         String,
    counterpart   String,
    participants  Array(String),
    occurred_at   DateTime('UTC'),
    reported_at   DateTime('UTC'),
    source        String,
    confidence    Float64,
    summary       String,
    commitment_id String,
    category      String,
    asset         String,
    quantity      Float64,
    unit          String,
    complete      UInt8,
    destination   String,
    stance        Int8,
    severity      UInt8,
    data          String,
    stream_seq    UInt64,
    ingested_at   DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY (coalition, event_id, cityHash64(data));

CREATE TABLE IF NOT EXISTS schema_migrations
(
    version    UInt32,
    name       String,
    applied_at DateTime('UTC')
)
ENGINE = ReplacingMergeTree
ORDER BY version;
