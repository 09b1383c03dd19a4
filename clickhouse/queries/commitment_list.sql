-- Catalog: Commitments
-- Answers: what exactly was promised, and where does each promise stand?
-- Every commitment with its owner, what it offers, its state, size,
-- deliveries and dates (NULL where there is none: no deadline, nothing
-- delivered, not withdrawn). Optional: country.
-- Param: coalition String
-- Param: as_of DateTime now
-- Param: country String ''
SELECT
    owner AS country,
    commitment_id,
    category,
    asset,
    state,
    pledged,
    unit,
    delivered,
    announced_at,
    -- Times, or NULL where there is none (not formatDateTime: its %M is
    -- minutes on 18.16 and the month's name since ClickHouse 23.4).
    if(deadline = toDateTime(0, 'UTC'), NULL, deadline) AS deadline,
    if(deliveries = 0, NULL, first_delivery_at) AS first_delivery_at,
    if(withdrawn = 0, NULL, withdrawn_at) AS withdrawn_at
FROM (__COMMITMENTS__)
WHERE known = 1 AND (@country = '' OR owner = @country)
ORDER BY country, announced_at, commitment_id
