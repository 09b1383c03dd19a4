-- Catalog: Country leaderboard
-- Answers: who delivers? Each country's commitments by state, and
-- delivered_share: the commitments it delivered in full among those not
-- withdrawn (a count of commitments, whatever their size; status's
-- fulfilment is a ratio of quantities, delivered / pledged, per category
-- and unit). Ranked by commitments delivered, then by commitments made.
-- Money is not added up here, since amounts in different currencies do not
-- add: money_ranking ranks it in US dollars and as a share of GDP, and
-- gap_by_category shows it per currency.
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
    round(if(countIf(state != 'withdrawn') = 0, 0, countIf(state = 'delivered') / countIf(state != 'withdrawn')), 3) AS delivered_share
FROM
(
    -- only what is needed: aliases above (delivered, withdrawn) may not
    -- shadow columns of the commitments inside an aggregate (18.16)
    SELECT owner, state
    FROM (__COMMITMENTS__)
    WHERE known = 1
)
GROUP BY owner
ORDER BY delivered DESC, commitments DESC, country
