-- One row per commitment in a coalition at @as_of, by the rules of
-- schema.FoldCommitments: the defining pledge (the latest by occurrence
-- time, ties broken by event id) gives owner, category, unit, size and
-- deadline; the stage is the highest any pledge reached; deliveries add up
-- (in thousandths, exactly, then shown as quantities);
-- the first withdrawal closes it; state follows schema.CommitmentState.
-- delivered_at is when it became delivered (schema.Commitment.DeliveredAt:
-- the first deployment, in time order, by which one had said complete or
-- the running sum reached a positive pledged size; quantities are never
-- negative, so the running sum only grows and the first such deployment's
-- second is the answer whatever the order within that second; the epoch if
-- never).
-- acts lists every deployment, withdrawal and pledge as (actor, event id,
-- time, kind, previous pledge's actor) for the anomaly checks; the last is
-- '' but for pledges after the first in story order (time, then event id).
-- Other queries include it where they say __COMMITMENTS__. Parameters:
-- @coalition, @as_of.
-- (The lambdas here capture no column: ClickHouse 18.16 loses columns that
-- a lambda captures from a subquery. A column a lambda needs is passed to it
-- as an array, arrayResize'd to length.)
SELECT
    commitment_id, known, owner, category, asset, unit, deadline, announced_at,
    complete, deliveries, first_delivery_at, withdrawn, withdrawn_at,
    arrayFirst((t, sum_milli, completes, p_milli) -> completes > 0 OR (p_milli > 0 AND sum_milli >= p_milli),
        arrayMap(x -> tupleElement(x, 1), deployments_sorted),
        arrayCumSum(arrayMap(x -> tupleElement(x, 3), deployments_sorted)),
        arrayCumSum(arrayMap(x -> toUInt64(tupleElement(x, 4)), deployments_sorted)),
        arrayResize(emptyArrayInt64(), length(deployments_sorted), pledged_milli)) AS delivered_at,
    arrayConcat(other_acts,
        arrayMap((x, prev) -> (tupleElement(x, 3), tupleElement(x, 2), tupleElement(x, 1), 'pledge', prev),
            pledges_sorted,
            arrayPopBack(arrayPushFront(arrayMap(x -> tupleElement(x, 3), pledges_sorted), '')))) AS acts,
    pledged_milli, delivered_sum_milli,
    if(complete = 1 AND delivered_sum_milli < pledged_milli, pledged_milli, delivered_sum_milli) AS delivered_milli,
    pledged_milli / 1000 AS pledged,
    delivered_sum_milli / 1000 AS delivered_sum,
    delivered_milli / 1000 AS delivered,
    multiIf(
        known = 0, 'unknown',
        withdrawn = 1, 'withdrawn',
        complete = 1 OR (pledged_milli > 0 AND delivered_sum_milli >= pledged_milli), 'delivered',
        deliveries > 0, 'partly_delivered',
        deadline > toDateTime(0, 'UTC') AND deadline < @as_of, 'lapsed',
        arrayElement(['announced', 'committed', 'allocated'], toUInt64(stage_rank))
    ) AS state
FROM
(
    SELECT
        commitment_id,
        toUInt8(countIf(e_kind = 'pledge') > 0) AS known,
        argMaxIf((e_actor, e_category, e_asset, e_unit, e_qm, e_deadline), (e_at, e_id), e_kind = 'pledge') AS defining,
        tupleElement(defining, 1) AS owner,
        tupleElement(defining, 2) AS category,
        tupleElement(defining, 3) AS asset,
        tupleElement(defining, 4) AS unit,
        tupleElement(defining, 5) AS pledged_milli,
        tupleElement(defining, 6) AS deadline,
        maxIf(multiIf(e_stage = 'allocated', 3, e_stage = 'committed', 2, 1), e_kind = 'pledge') AS stage_rank,
        minIf(e_at, e_kind = 'pledge') AS announced_at,
        sumIf(e_qm, e_kind = 'deployment') AS delivered_sum_milli,
        maxIf(e_complete, e_kind = 'deployment') AS complete,
        countIf(e_kind = 'deployment') AS deliveries,
        minIf(e_at, e_kind = 'deployment') AS first_delivery_at,
        toUInt8(countIf(e_kind = 'withdrawal') > 0) AS withdrawn,
        minIf(e_at, e_kind = 'withdrawal') AS withdrawn_at,
        groupArrayIf((e_actor, e_id, e_at, toString(e_kind), ''), e_kind != 'pledge') AS other_acts,
        arraySort(groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge')) AS pledges_sorted,
        arraySort(groupArrayIf((e_at, e_id, e_qm, e_complete), e_kind = 'deployment')) AS deployments_sorted
    FROM
    (
        SELECT
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
        FROM (__DEDUP_CORE__)
        WHERE commitment_id != ''
    )
    GROUP BY commitment_id
)
