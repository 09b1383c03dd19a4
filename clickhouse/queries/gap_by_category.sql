-- Catalog: Pledged versus delivered, by category
-- Answers: where is the gap between promise and delivery? Per category and
-- unit: what was pledged on commitments still standing (not withdrawn),
-- what was delivered, the gap, and the fulfilment ratio. Unquantified
-- commitments count in commitments only.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    category,
    unit,
    count() AS commitments,
    countIf(state IN ('announced', 'committed', 'allocated', 'partly_delivered')) AS open,
    sum(p) / 1000 AS pledged,
    sum(d) / 1000 AS delivered,
    greatest(sum(p) - sum(d), 0) / 1000 AS gap,
    round(if(sum(p) = 0, 0, sum(d) / sum(p)), 3) AS fulfilment
FROM
(
    -- renamed: an alias may not shadow a column inside an aggregate (18.16)
    SELECT category, unit, state, pledged_milli AS p, delivered_milli AS d
    FROM (__COMMITMENTS__)
    WHERE known = 1 AND state != 'withdrawn'
)
GROUP BY category, unit
ORDER BY gap DESC, category, unit
