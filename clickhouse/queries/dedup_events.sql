-- Fragment: what was known of one coalition at @as_of: the events reported
-- by then, one row per event_id (the highest revision, ties broken by the
-- canonical JSON, so the result depends only on the set of stored rows),
-- without retracted events. Other queries include it where they say
-- __DEDUP_EVENTS__. Parameters: @coalition, @as_of. The rules are
-- schema.Knowledge's.
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
    tupleElement(latest, 16) AS source,
    tupleElement(latest, 17) AS summary,
    tupleElement(latest, 18) AS severity,
    tupleElement(latest, 19) AS quantity_milli
FROM
(
    SELECT
        event_id,
        argMax((kind, actor, counterpart, participants, occurred_at, stance, commitment_id, category, unit, quantity, complete, stage, deadline, retracted, asset, source, summary, severity, quantity_milli), (revision, data)) AS latest
    FROM events
    WHERE coalition = @coalition AND reported_at <= @as_of
    GROUP BY event_id
)
WHERE tupleElement(latest, 14) = 0
