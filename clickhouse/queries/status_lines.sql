-- Per country, category and unit: the commitments the country owns, what it
-- pledged, delivered and withdrew, and how many are still open. Rows with an
-- empty category carry, for each country, the number of its deployments and
-- withdrawals on commitments that no pledge opened (unmatched). The rules are schema.Fold's.
-- Parameter: @coalition.
SELECT
    owner AS country,
    category,
    unit,
    count() AS commitments,
    sum(pledged) AS pledged_total,
    sum(delivered_qty) AS delivered_total,
    sumIf(pledged, withdrawn = 1) AS withdrawn_total,
    countIf(withdrawn = 1) AS withdrawn_count,
    countIf(is_open) AS open_count,
    toUInt64(0) AS unmatched
FROM
(
    SELECT
        owner, category, unit, pledged, withdrawn,
        if(complete = 1 AND delivered_sum < pledged, pledged, delivered_sum) AS delivered_qty,
        withdrawn = 0 AND complete = 0 AND (unit = '' OR delivered_sum < pledged) AS is_open
    FROM (__COMMITMENTS__)
    WHERE known = 1
)
GROUP BY owner, category, unit
UNION ALL
SELECT
    arrayJoin(actors) AS country,
    '' AS category,
    '' AS unit,
    toUInt64(0) AS commitments,
    toFloat64(0) AS pledged_total,
    toFloat64(0) AS delivered_total,
    toFloat64(0) AS withdrawn_total,
    toUInt64(0) AS withdrawn_count,
    toUInt64(0) AS open_count,
    count() AS unmatched
FROM (__COMMITMENTS__)
WHERE known = 0
GROUP BY country
