-- Fragment: the distinct events of one coalition, one row per event_id, the
-- highest revision winning and ties broken by the canonical JSON, so the
-- result depends only on the set of stored rows. Other queries include it
-- where they say __DEDUP_EVENTS__. Parameter: @coalition.
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
    tupleElement(latest, 11) AS complete
FROM
(
    SELECT
        event_id,
        argMax((kind, actor, counterpart, participants, occurred_at, stance, commitment_id, category, unit, quantity, complete), (revision, data)) AS latest
    FROM events
    WHERE coalition = @coalition
    GROUP BY event_id
)
