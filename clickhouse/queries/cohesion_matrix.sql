-- Catalog: Cohesion matrix
-- Answers: where is the coalition fraying? For each pair of countries that
-- dealt with each other: cooperation (meetings together, pledges and
-- supportive statements addressed to the other) against conflict
-- (sanctions, incidents, critical statements), in the spirit of GDELT's
-- cooperation and conflict quad classes; net = cooperation - conflict.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    country_a,
    country_b,
    sum(coop) AS cooperation,
    sum(conf) AS conflict,
    sum(coop) - sum(conf) AS net
FROM
(
    -- meetings: every pair of countries present
    SELECT a AS country_a, b AS country_b, toInt64(1) AS coop, toInt64(0) AS conf
    FROM
    (
        SELECT
            arrayJoin(present) AS a,
            -- a different expression, or ClickHouse joins the array once
            arrayJoin(arrayConcat(present, emptyArrayString())) AS b
        FROM
        (
            SELECT arrayDistinct(arrayFilter(c -> c != '', arrayConcat([actor, counterpart], participants))) AS present
            FROM (__DEDUP_CORE__)
            WHERE kind = 'meeting'
        )
    )
    WHERE a < b
    UNION ALL
    -- everything else addressed to a counterpart
    SELECT
        -- least()/greatest() take no strings on 18.16
        if(actor < counterpart, actor, counterpart) AS country_a,
        if(actor < counterpart, counterpart, actor) AS country_b,
        toInt64(kind IN ('pledge', 'deployment') OR (kind = 'statement' AND stance > 0)) AS coop,
        toInt64(kind IN ('sanction', 'incident') OR (kind = 'statement' AND stance < 0)) AS conf
    FROM (__DEDUP_CORE__)
    WHERE kind != 'meeting' AND counterpart != ''
)
GROUP BY country_a, country_b
HAVING cooperation + conflict > 0
ORDER BY net, conflict DESC, country_a, country_b
