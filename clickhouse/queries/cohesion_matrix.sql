-- Catalog: Cohesion matrix
-- Answers: where is the coalition fraying? For each pair of countries that
-- dealt with each other: cooperation (meetings together, pledges and
-- supportive statements addressed to the other, and pledges whose
-- destination is the other, when it is a member: the actor of some event)
-- against conflict (sanctions, incidents, critical statements), in the
-- spirit of GDELT's cooperation and conflict quad classes;
-- net = cooperation - conflict.
-- Param: coalition String
-- Param: as_of DateTime now
-- A pledge's destination counts only when it is a member: the means of a
-- pledge go to its destination, which for air strikes is the country
-- struck (SYR), not a partner. A pledge whose counterpart is also its
-- destination counts once.
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
    -- everything else addressed to a counterpart, and pledges to a member
    -- (no lambda here: ClickHouse 18.16 loses columns that a lambda
    -- captures from a subquery)
    SELECT
        -- least()/greatest() take no strings on 18.16
        if(actor < partner, actor, partner) AS country_a,
        if(actor < partner, partner, actor) AS country_b,
        toInt64(kind IN ('pledge', 'deployment') OR (kind = 'statement' AND stance > 0)) AS coop,
        toInt64(kind IN ('sanction', 'incident') OR (kind = 'statement' AND stance < 0)) AS conf
    FROM
    (
        SELECT
            actor, kind, stance,
            arrayJoin(arrayDistinct([counterpart, if(kind = 'pledge' AND destination IN (SELECT actor FROM (__DEDUP_CORE__)), destination, '')])) AS partner
        FROM (__DEDUP_CORE__)
        WHERE kind != 'meeting'
    )
    WHERE partner != '' AND partner != actor
)
GROUP BY country_a, country_b
HAVING cooperation + conflict > 0
ORDER BY net, conflict DESC, country_a, country_b
