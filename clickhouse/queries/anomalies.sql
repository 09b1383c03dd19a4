-- Catalog: Anomalies
-- Answers: which records break the lifecycle? Every anomaly in a coalition at @as_of, by the rules of
-- schema.FoldCommitments: deployments and withdrawals on commitments no
-- pledge opened (unknown_commitment), by a country other than the owner
-- (actor_mismatch), deployments after the withdrawal
-- (delivery_after_withdrawal), and deliveries beyond a positive pledged
-- size (over_delivery). They are recorded, not dropped: see
-- docs/status.md for how each still counts.
-- Param: coalition String
-- Param: as_of DateTime now
-- (No lambdas over columns here: ClickHouse 18.16 loses columns that a
-- lambda captures from a subquery.)
SELECT country, commitment_id, kind, event_id
FROM
(
    SELECT
        a_actor AS country,
        commitment_id,
        arrayJoin(['unknown_commitment', 'actor_mismatch', 'delivery_after_withdrawal']) AS kind,
        a_id AS event_id
    FROM
    (
        SELECT
            commitment_id, known, owner, withdrawn, withdrawn_at,
            tupleElement(act, 1) AS a_actor,
            tupleElement(act, 2) AS a_id,
            tupleElement(act, 3) AS a_at,
            tupleElement(act, 4) AS a_kind
        FROM (__COMMITMENTS__)
        ARRAY JOIN acts AS act
    )
    WHERE multiIf(
        kind = 'unknown_commitment', known = 0,
        kind = 'actor_mismatch', known = 1 AND a_actor != owner,
        known = 1 AND withdrawn = 1 AND a_kind = 'deployment' AND a_at > withdrawn_at)
    UNION ALL
    SELECT owner AS country, commitment_id, 'over_delivery' AS kind, '' AS event_id
    FROM (__COMMITMENTS__)
    WHERE known = 1 AND pledged_milli > 0 AND delivered_sum_milli > pledged_milli
)
ORDER BY country, commitment_id, kind, event_id
