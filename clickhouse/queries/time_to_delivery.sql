-- Catalog: Time from pledge to first delivery
-- Answers: how long did it take? For every commitment, the days from its
-- first pledge to its first delivery (NULL while nothing is delivered),
-- and the days it stayed open: from its first pledge to its first
-- delivery or withdrawal, whichever came first, or to as_of while
-- neither has happened; with its state; delivered ones first, fastest
-- first.
-- Param: coalition String
-- Param: as_of DateTime now
-- Times are DateTime, or NULL where there is none (not formatDateTime: its
-- %M is minutes on 18.16 and the month's name since ClickHouse 23.4).
SELECT
    owner AS country,
    commitment_id,
    category,
    state,
    announced_at,
    if(deliveries = 0, NULL, first_delivery_at) AS first_delivery,
    if(deliveries = 0, NULL, round(dateDiff('second', announced_at, first_delivery_at) / 86400, 1)) AS days_to_delivery,
    round(dateDiff('second', announced_at, closed_at) / 86400, 1) AS days_open
FROM
(
    SELECT
        owner, commitment_id, category, state, announced_at, deliveries, first_delivery_at,
        -- the first delivery or withdrawal, else @as_of (if() rather than
        -- least(), which drops the time zone of a DateTime on 18.16)
        multiIf(
            deliveries > 0 AND withdrawn = 1, if(first_delivery_at < withdrawn_at, first_delivery_at, withdrawn_at),
            deliveries > 0, first_delivery_at,
            withdrawn = 1, withdrawn_at,
            @as_of) AS closed_at
    FROM (__COMMITMENTS__)
    WHERE known = 1
)
ORDER BY deliveries = 0, if(deliveries = 0, 0, dateDiff('second', announced_at, first_delivery_at)), announced_at, commitment_id
