-- Catalog: Weekly activity
-- Answers: when did things happen? Events per week (starting Monday) and
-- kind, by occurrence time.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    toMonday(occurred_at) AS week,
    count() AS events,
    countIf(kind = 'meeting') AS meetings,
    countIf(kind = 'statement') AS statements,
    countIf(kind = 'pledge') AS pledges,
    countIf(kind = 'deployment') AS deployments,
    countIf(kind = 'withdrawal') AS withdrawals,
    countIf(kind = 'sanction') AS sanctions,
    countIf(kind = 'incident') AS incidents,
    uniqExact(actor) AS countries
FROM (__DEDUP_CORE__)
GROUP BY week
ORDER BY week
