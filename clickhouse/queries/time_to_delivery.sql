-- Catalog: Time from pledge to first delivery
-- Answers: how long did it take? For every commitment, the days from its
-- first pledge to its first delivery (empty while nothing is delivered),
-- with its state; delivered ones first, fastest first.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    owner AS country,
    commitment_id,
    category,
    state,
    announced_at,
    if(deliveries = 0, '', formatDateTime(first_delivery_at, '%Y-%m-%dT%H:%M:%SZ')) AS first_delivery,
    if(deliveries = 0, '', toString(round(dateDiff('second', announced_at, first_delivery_at) / 86400, 1))) AS days_to_delivery,
    round(dateDiff('second', announced_at, @as_of) / 86400, 1) AS days_open
FROM (__COMMITMENTS__)
WHERE known = 1
ORDER BY deliveries = 0, if(deliveries = 0, 0, dateDiff('second', announced_at, first_delivery_at)), announced_at, commitment_id
