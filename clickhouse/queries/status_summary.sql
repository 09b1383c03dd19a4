-- One row per country taking part in a coalition (as actor, counterpart or
-- meeting participant) at @as_of: activity counts, the latest stance and
-- the one before, last meeting, last activity, and conflicts (sanctions and
-- incidents) between members: how many, and with whom (conflicts_with, the
-- other members' codes, each once, sorted). The rules are schema.FoldAsOf's.
-- Parameters: @coalition, @as_of.
SELECT
    country,
    countIf(is_actor) AS events,
    toUInt8(countIf(is_actor AND e_kind = 'statement') > 0) AS has_stance,
    argMaxIf(e_stance, (e_at, e_id), is_actor AND e_kind = 'statement') AS stance,
    maxIf(e_at, is_actor AND e_kind = 'statement') AS stance_at,
    toUInt8(countIf(is_actor AND e_kind = 'statement') > 1) AS has_prev_stance,
    tupleElement(arrayElement(arraySort(groupArrayIf((e_at, e_id, e_stance), is_actor AND e_kind = 'statement')), -2), 3) AS prev_stance,
    countIf(e_kind = 'meeting') AS meetings,
    maxIf(e_at, e_kind = 'meeting') AS last_meeting_at,
    countIf(is_actor AND e_kind = 'pledge') AS pledges,
    countIf(is_actor AND e_kind = 'deployment') AS deployments,
    countIf(is_actor AND e_kind = 'withdrawal') AS withdrawals,
    countIf(is_actor AND e_kind = 'sanction') AS sanctions_imposed,
    countIf(NOT is_actor AND e_kind = 'sanction') AS sanctions_received,
    countIf(e_kind = 'incident') AS incidents,
    countIf(e_kind IN ('sanction', 'incident') AND counterpart_is_member) AS member_conflicts,
    arraySort(groupUniqArrayIf(e_other, e_kind IN ('sanction', 'incident') AND counterpart_is_member)) AS conflicts_with,
    maxIf(e_at, is_actor) AS last_activity_at
FROM
(
    SELECT
        arrayJoin(arrayDistinct(arrayFilter(c -> c != '', arrayConcat([actor, counterpart], participants)))) AS country,
        country = actor AS is_actor,
        if(country = actor, counterpart, actor) AS e_other,
        counterpart IN (SELECT actor FROM (__DEDUP_CORE__)) AS counterpart_is_member,
        kind AS e_kind,
        occurred_at AS e_at,
        stance AS e_stance,
        toString(event_id) AS e_id
    FROM (__DEDUP_CORE__)
)
GROUP BY country
ORDER BY country
