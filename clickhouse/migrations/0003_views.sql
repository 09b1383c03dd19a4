-- Views for analysts' own SQL (clickhouse-client, Grafana): the same rules
-- as the named queries, over current knowledge (every event reported so
-- far, now). Tests hold them equal to the queries' fragments
-- (queries/dedup_events.sql, queries/commitments.sql) and to schema.Fold.
--
--   SELECT * FROM events_latest WHERE coalition = 'paris-2015'
--   SELECT owner, state, count() FROM commitments_latest GROUP BY owner, state
CREATE VIEW IF NOT EXISTS events_latest AS
SELECT
    coalition,
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
    tupleElement(latest, 19) AS reported_at,
    tupleElement(latest, 20) AS revision,
    tupleElement(latest, 21) AS quantity_milli
FROM
(
    SELECT
        coalition,
        event_id,
        argMax((kind, actor, counterpart, participants, occurred_at, stance, commitment_id, category, unit, quantity, complete, stage, deadline, retracted, asset, source, summary, severity, reported_at, revision, quantity_milli), (revision, data)) AS latest
    FROM events
    GROUP BY coalition, event_id
)
WHERE tupleElement(latest, 14) = 0;

CREATE VIEW IF NOT EXISTS commitments_latest AS
SELECT
    coalition, commitment_id, known, owner, category, asset, unit, deadline, announced_at,
    complete, deliveries, first_delivery_at, withdrawn, withdrawn_at,
    pledged_milli / 1000 AS pledged,
    delivered_sum_milli / 1000 AS delivered_sum,
    if(complete = 1 AND delivered_sum_milli < pledged_milli, pledged_milli, delivered_sum_milli) / 1000 AS delivered,
    multiIf(
        known = 0, 'unknown',
        withdrawn = 1, 'withdrawn',
        complete = 1 OR (pledged_milli > 0 AND delivered_sum_milli >= pledged_milli), 'delivered',
        deliveries > 0, 'partly_delivered',
        deadline > toDateTime(0, 'UTC') AND deadline < now(), 'lapsed',
        arrayElement(['announced', 'committed', 'allocated'], toUInt64(stage_rank))
    ) AS state
FROM
(
    SELECT
        coalition,
        commitment_id,
        toUInt8(countIf(e_kind = 'pledge') > 0) AS known,
        argMaxIf(e_actor, (e_at, e_id), e_kind = 'pledge') AS owner,
        argMaxIf(e_category, (e_at, e_id), e_kind = 'pledge') AS category,
        argMaxIf(e_asset, (e_at, e_id), e_kind = 'pledge') AS asset,
        argMaxIf(e_unit, (e_at, e_id), e_kind = 'pledge') AS unit,
        argMaxIf(e_qm, (e_at, e_id), e_kind = 'pledge') AS pledged_milli,
        argMaxIf(e_deadline, (e_at, e_id), e_kind = 'pledge') AS deadline,
        maxIf(multiIf(e_stage = 'allocated', 3, e_stage = 'committed', 2, 1), e_kind = 'pledge') AS stage_rank,
        minIf(e_at, e_kind = 'pledge') AS announced_at,
        sumIf(e_qm, e_kind = 'deployment') AS delivered_sum_milli,
        maxIf(e_complete, e_kind = 'deployment') AS complete,
        countIf(e_kind = 'deployment') AS deliveries,
        minIf(e_at, e_kind = 'deployment') AS first_delivery_at,
        toUInt8(countIf(e_kind = 'withdrawal') > 0) AS withdrawn,
        minIf(e_at, e_kind = 'withdrawal') AS withdrawn_at
    FROM
    (
        SELECT
            coalition,
            commitment_id,
            kind AS e_kind,
            actor AS e_actor,
            category AS e_category,
            asset AS e_asset,
            unit AS e_unit,
            quantity_milli AS e_qm,
            complete AS e_complete,
            stage AS e_stage,
            deadline AS e_deadline,
            occurred_at AS e_at,
            toString(event_id) AS e_id
        FROM events_latest
        WHERE commitment_id != ''
    )
    GROUP BY coalition, commitment_id
);
