-- Catalog: Anomalies
-- Answers: which records break the lifecycle? Every anomaly in a coalition at @as_of, by the rules of
-- schema.FoldCommitments: deployments and withdrawals on commitments no
-- pledge opened (unknown_commitment), by a country other than the owner
-- (actor_mismatch), or before the first pledge (activity_before_pledge);
-- pledges by another country than the pledge before them (owner_changed);
-- pledges and deployments after the withdrawal (pledge_after_withdrawal,
-- delivery_after_withdrawal), withdrawals after delivery
-- (withdrawal_after_delivery), and deliveries beyond a positive pledged
-- size (over_delivery). They are recorded, not dropped: see
-- docs/status.md for how each still counts.
-- Param: coalition String
-- Param: as_of DateTime now
-- (No lambdas over columns here: ClickHouse 18.16 loses columns that a
-- lambda captures from a subquery.)
-- One pass over the commitments: each commitment's acts, plus one
-- pseudo-act ('over') that stands for the commitment itself and carries the
-- over_delivery check. Each act becomes one row per kind of anomaly it is
-- (none for most: arrayJoin of an empty array gives no row).
SELECT country, commitment_id, kind, event_id
FROM
(
    SELECT
        if(a_kind = 'over', owner, a_actor) AS country,
        commitment_id,
        arrayJoin(arrayConcat(
            if(a_kind IN ('deployment', 'withdrawal') AND known = 0, ['unknown_commitment'], emptyArrayString()),
            if(a_kind IN ('deployment', 'withdrawal') AND known = 1 AND a_actor != owner, ['actor_mismatch'], emptyArrayString()),
            if(a_kind IN ('deployment', 'withdrawal') AND known = 1 AND a_at < announced_at, ['activity_before_pledge'], emptyArrayString()),
            if(a_kind = 'deployment' AND known = 1 AND withdrawn = 1 AND a_at > withdrawn_at, ['delivery_after_withdrawal'], emptyArrayString()),
            if(a_kind = 'withdrawal' AND known = 1 AND delivered_at > toDateTime(0, 'UTC') AND a_at > delivered_at, ['withdrawal_after_delivery'], emptyArrayString()),
            if(a_kind = 'pledge' AND a_prev != '' AND a_prev != a_actor, ['owner_changed'], emptyArrayString()),
            if(a_kind = 'pledge' AND withdrawn = 1 AND withdrawn_at < a_at, ['pledge_after_withdrawal'], emptyArrayString()),
            if(a_kind = 'over' AND known = 1 AND pledged_milli > 0 AND delivered_sum_milli > pledged_milli, ['over_delivery'], emptyArrayString()))) AS kind,
        a_id AS event_id
    FROM
    (
        SELECT
            commitment_id, known, owner, announced_at, withdrawn, withdrawn_at, delivered_at,
            pledged_milli, delivered_sum_milli,
            tupleElement(act, 1) AS a_actor,
            tupleElement(act, 2) AS a_id,
            tupleElement(act, 3) AS a_at,
            tupleElement(act, 4) AS a_kind,
            tupleElement(act, 5) AS a_prev
        FROM (__COMMITMENTS__)
        ARRAY JOIN arrayPushBack(acts, (owner, '', toDateTime(0, 'UTC'), 'over', '')) AS act
    )
)
ORDER BY country, commitment_id, kind, event_id
