-- Fragment: dedup_events without source, summary and severity, which the
-- status and most analytics do not read (ClickHouse 18.16 copies every
-- element of the argMax tuple, so a narrower tuple de-duplicates faster and
-- in less memory), and with a pledge's destination, which cohesion_matrix
-- reads. Queries include it where they say __DEDUP_CORE__.
--
-- Otherwise the same as dedup_events: what was known of one coalition at
-- @as_of, one row per event_id (the highest revision, ties broken by the
-- canonical JSON), without retracted events. Parameters: @coalition,
-- @as_of. The rules are schema.Knowledge's.
SELECT
    event_id,
    tupleElement(latest, 1) AS kind,
    tupleElement(latest, 2) AS actor,
    tupleElement(latest, 3) AS counterpart,
    tupleElement(latest, 4) AS participants,
    tupleElement(latest, 5) AS occurred_at,
    tupleElement(latest, 6) AS stance,
    tupleElement(latest, 7) AS commitment_id,
    tupleElement(latest, 8) AS category,
    tupleElement(latest, 9) AS unit,
    tupleElement(latest, 10) AS quantity,
    tupleElement(latest, 11) AS complete,
    tupleElement(latest, 12) AS stage,
    tupleElement(latest, 13) AS deadline,
    tupleElement(latest, 15) AS asset,
    tupleElement(latest, 16) AS quantity_milli,
    tupleElement(latest, 17) AS destination
FROM
(
    SELECT
        event_id,
        argMax((kind, actor, counterpart, participants, occurred_at, stance, commitment_id, category, unit, quantity, complete, stage, deadline, retracted, asset, quantity_milli, destination), (revision, data)) AS latest
    FROM events
    WHERE coalition = @coalition AND reported_at <= @as_of
    GROUP BY event_id
)
WHERE tupleElement(latest, 14) = 0
