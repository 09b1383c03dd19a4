-- Catalog: Country leaderboard
-- Answers: who delivers? Each country's commitments by state, its
-- fulfilment rate (commitments delivered in full among those not
-- withdrawn), and money pledged and delivered where commitments are in a
-- currency (ISO 4217 unit). Ranked by commitments delivered, then by
-- commitments made.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    owner AS country,
    count() AS commitments,
    countIf(state IN ('announced', 'committed', 'allocated', 'partly_delivered')) AS open,
    countIf(state = 'partly_delivered') AS partly_delivered,
    countIf(state = 'delivered') AS delivered,
    countIf(state = 'withdrawn') AS withdrawn,
    countIf(state = 'lapsed') AS lapsed,
    round(if(countIf(state != 'withdrawn') = 0, 0, countIf(state = 'delivered') / countIf(state != 'withdrawn')), 3) AS fulfilment_rate,
    sumIf(p, match(unit, '^[A-Z]{3}$')) / 1000 AS money_pledged,
    sumIf(d, match(unit, '^[A-Z]{3}$')) / 1000 AS money_delivered
FROM
(
    -- renamed: an alias may not shadow a column inside an aggregate (18.16)
    SELECT owner, state, unit, pledged_milli AS p, delivered_milli AS d
    FROM (__COMMITMENTS__)
    WHERE known = 1
)
GROUP BY owner
ORDER BY delivered DESC, commitments DESC, country
