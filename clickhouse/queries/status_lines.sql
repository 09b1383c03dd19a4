-- Per country, category and unit: the commitments the country owns, what it
-- pledged, delivered and withdrew, how many are open and in each state, and
-- when the oldest open one was first pledged. Rows with an empty category
-- carry each country's anomaly counts. The rules are schema.FoldAsOf's.
-- Parameters: @coalition, @as_of.
SELECT
    owner AS country,
    category,
    unit,
    count() AS commitments,
    countIf(is_open) AS open_count,
    sum(pledged_milli) / 1000 AS pledged_total,
    sum(delivered_milli) / 1000 AS delivered_total,
    sumIf(pledged_milli, withdrawn = 1) / 1000 AS withdrawn_total,
    countIf(state = 'announced') AS announced_count,
    countIf(state = 'committed') AS committed_count,
    countIf(state = 'allocated') AS allocated_count,
    countIf(state = 'partly_delivered') AS partly_delivered_count,
    countIf(state = 'delivered') AS delivered_count,
    countIf(state = 'withdrawn') AS withdrawn_count,
    countIf(state = 'lapsed') AS lapsed_count,
    minIf(announced_at, is_open) AS oldest_open_at,
    toUInt64(0) AS unmatched,
    toUInt64(0) AS anomalies
FROM
(
    SELECT owner, category, unit, pledged_milli, delivered_milli, withdrawn, state, announced_at,
        state IN ('announced', 'committed', 'allocated', 'partly_delivered') AS is_open
    FROM (__COMMITMENTS__)
    WHERE known = 1
)
GROUP BY owner, category, unit
UNION ALL
SELECT
    country,
    '' AS category,
    '' AS unit,
    toUInt64(0) AS commitments,
    toUInt64(0) AS open_count,
    toFloat64(0) AS pledged_total,
    toFloat64(0) AS delivered_total,
    toFloat64(0) AS withdrawn_total,
    toUInt64(0) AS announced_count,
    toUInt64(0) AS committed_count,
    toUInt64(0) AS allocated_count,
    toUInt64(0) AS partly_delivered_count,
    toUInt64(0) AS delivered_count,
    toUInt64(0) AS withdrawn_count,
    toUInt64(0) AS lapsed_count,
    toDateTime(0, 'UTC') AS oldest_open_at,
    countIf(kind = 'unknown_commitment') AS unmatched,
    count() AS anomalies
FROM (__ANOMALIES__)
GROUP BY country
