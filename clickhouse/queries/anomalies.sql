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
-- One pass over the commitments: each commitment's acts, plus one
-- pseudo-act ('over') that stands for the commitment itself and carries the
-- over_delivery check.
SELECT country, commitment_id, kind, event_id
FROM
(
    SELECT
        if(a_kind = 'over', owner, a_actor) AS country,
        commitment_id,
        arrayJoin(if(a_kind = 'over', ['over_delivery'], ['unknown_commitment', 'actor_mismatch', 'delivery_after_withdrawal'])) AS kind,
        a_id AS event_id,
        known, owner, withdrawn, withdrawn_at, a_actor, a_at, a_kind, pledged_milli, delivered_sum_milli
    FROM
    (
        SELECT
            commitment_id, known, owner, withdrawn, withdrawn_at, pledged_milli, delivered_sum_milli,
            tupleElement(act, 1) AS a_actor,
            tupleElement(act, 2) AS a_id,
            tupleElement(act, 3) AS a_at,
            tupleElement(act, 4) AS a_kind
        FROM (__COMMITMENTS__)
        ARRAY JOIN arrayPushBack(acts, (owner, '', toDateTime(0, 'UTC'), 'over')) AS act
    )
)
WHERE multiIf(
    kind = 'unknown_commitment', known = 0,
    kind = 'actor_mismatch', known = 1 AND a_actor != owner,
    kind = 'delivery_after_withdrawal', known = 1 AND withdrawn = 1 AND a_kind = 'deployment' AND a_at > withdrawn_at,
    known = 1 AND pledged_milli > 0 AND delivered_sum_milli > pledged_milli)
ORDER BY country, commitment_id, kind, event_id
