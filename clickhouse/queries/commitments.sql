-- One row per commitment in a coalition: its defining pledge (the latest by
-- occurrence time, ties broken by event id), what was delivered against it,
-- and whether it was withdrawn. Commitments that no pledge opened come out
-- with known = 0; actors lists who made each deployment and withdrawal.
-- The rules are schema.FoldCommitments'. Other queries include it where
-- they say __COMMITMENTS__. Parameter: @coalition.
SELECT
    commitment_id,
    toUInt8(countIf(e_kind = 'pledge') > 0) AS known,
    argMaxIf(e_actor, (e_at, e_id), e_kind = 'pledge') AS owner,
    argMaxIf(e_category, (e_at, e_id), e_kind = 'pledge') AS category,
    argMaxIf(e_unit, (e_at, e_id), e_kind = 'pledge') AS unit,
    argMaxIf(e_quantity, (e_at, e_id), e_kind = 'pledge') AS pledged,
    sumIf(e_quantity, e_kind = 'deployment') AS delivered_sum,
    maxIf(e_complete, e_kind = 'deployment') AS complete,
    toUInt8(countIf(e_kind = 'withdrawal') > 0) AS withdrawn,
    groupArrayIf(e_actor, e_kind != 'pledge') AS actors
FROM
(
    SELECT
        commitment_id,
        kind AS e_kind,
        actor AS e_actor,
        category AS e_category,
        unit AS e_unit,
        quantity AS e_quantity,
        complete AS e_complete,
        occurred_at AS e_at,
        toString(event_id) AS e_id
    FROM (__DEDUP_EVENTS__)
    WHERE commitment_id != ''
)
GROUP BY commitment_id
