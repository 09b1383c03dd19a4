-- Catalog: Commitments
-- Answers: what exactly was promised, and where does each promise stand?
-- Every commitment with its owner, what it offers, its state, size,
-- deliveries and dates. Optional: country.
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
    if(deadline = toDateTime(0, 'UTC'), '', formatDateTime(deadline, '%Y-%m-%dT%H:%M:%SZ')) AS deadline,
    if(deliveries = 0, '', formatDateTime(first_delivery_at, '%Y-%m-%dT%H:%M:%SZ')) AS first_delivery_at,
    if(withdrawn = 0, '', formatDateTime(withdrawn_at, '%Y-%m-%dT%H:%M:%SZ')) AS withdrawn_at
FROM (__COMMITMENTS__)
WHERE known = 1 AND (@country = '' OR owner = @country)
ORDER BY country, announced_at, commitment_id
