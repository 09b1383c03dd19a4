-- Catalog: Money pledged, in US dollars and as a share of GDP
-- Answers: who gives the most money, and the most for the size of its
-- economy? After the Kiel Institute's Ukraine Support Tracker. Per
-- country, its commitments in money (an amount in a currency) that are not
-- withdrawn: pledged and delivered in US dollars, each commitment
-- converted at the average exchange rate of its pledge year (the year of
-- its first pledge, from reference_fx; US dollars need none); the same as
-- a percentage of the country's GDP in each commitment's pledge year (from
-- reference_gdp), added up; and its rank by each (1 = most; ties share a
-- rank). Amounts in different currencies are never added unconverted.
-- NULL, not zero, where reference data is missing: the dollars when a
-- commitment's currency has no rate for its pledge year (missing_fx counts
-- those commitments), the share of GDP also when the country's GDP of a
-- pledge year is missing (missing_gdp); a NULL is not ranked. Load
-- reference data with coalition reference load gdp|fx FILE.
-- Param: coalition String
-- Param: as_of DateTime now
SELECT
    country,
    commitments,
    currencies,
    pledged_usd,
    delivered_usd,
    pledged_pct_gdp,
    delivered_pct_gdp,
    -- indexOf takes no Nullable on 18.16 (it finds nothing)
    if(isNull(pledged_usd), NULL, indexOf(usd_order, assumeNotNull(pledged_usd))) AS rank_usd,
    if(isNull(pledged_pct_gdp), NULL, indexOf(pct_order, assumeNotNull(pledged_pct_gdp))) AS rank_pct_gdp,
    missing_fx,
    missing_gdp
FROM
(
    -- Each country beside every country's figures, sorted: its rank is
    -- where its figure first appears (18.16 has no window functions).
    SELECT
        tupleElement(c, 1) AS country,
        tupleElement(c, 2) AS commitments,
        tupleElement(c, 3) AS currencies,
        tupleElement(c, 4) AS pledged_usd,
        tupleElement(c, 5) AS delivered_usd,
        tupleElement(c, 6) AS pledged_pct_gdp,
        tupleElement(c, 7) AS delivered_pct_gdp,
        tupleElement(c, 8) AS missing_fx,
        tupleElement(c, 9) AS missing_gdp,
        arrayReverseSort(all_usd) AS usd_order,
        arrayReverseSort(all_pct) AS pct_order
    FROM
    (
        SELECT
            groupArray((country, commitments, currencies, pledged_usd, delivered_usd, pledged_pct_gdp, delivered_pct_gdp, missing_fx, missing_gdp)) AS cs,
            -- groupArray leaves NULLs out
            groupArray(pledged_usd) AS all_usd,
            groupArray(pledged_pct_gdp) AS all_pct
        FROM
        (
            SELECT
                owner AS country,
                count() AS commitments,
                arraySort(groupUniqArray(unit)) AS currencies,
                countIf(has_rate = 0) AS missing_fx,
                countIf(has_gdp = 0) AS missing_gdp,
                if(missing_fx > 0, NULL, round(sum(p_usd))) AS pledged_usd,
                if(missing_fx > 0, NULL, round(sum(d_usd))) AS delivered_usd,
                if(missing_fx + missing_gdp > 0, NULL, round(sum(p_share) * 100, 4)) AS pledged_pct_gdp,
                if(missing_fx + missing_gdp > 0, NULL, round(sum(d_share) * 100, 4)) AS delivered_pct_gdp
            FROM
            (
                SELECT
                    owner, unit, has_rate, has_gdp,
                    if(has_rate = 1, p / per_usd, 0) AS p_usd,
                    if(has_rate = 1, d / per_usd, 0) AS d_usd,
                    if(has_rate = 1 AND has_gdp = 1, p / per_usd / gdp, 0) AS p_share,
                    if(has_rate = 1 AND has_gdp = 1, d / per_usd / gdp, 0) AS d_share
                FROM
                (
                    SELECT owner, unit, year, p, d,
                        toUInt8(unit = 'USD' OR fx_found = 1) AS has_rate,
                        if(unit = 'USD', 1, rate) AS per_usd
                    FROM
                    (
                        SELECT owner, unit, toYear(announced_at) AS year, pledged_milli / 1000 AS p, delivered_milli / 1000 AS d
                        FROM (__COMMITMENTS__)
                        WHERE known = 1 AND state != 'withdrawn' AND match(unit, '^[A-Z]{3}$')
                    ) AS money
                    ANY LEFT JOIN
                    (
                        -- the latest load of each rate
                        SELECT currency AS unit, year, argMax(per_usd, load_id) AS rate, toUInt8(1) AS fx_found
                        FROM reference_fx
                        GROUP BY currency, year
                    ) AS fx USING (unit, year)
                ) AS converted
                ANY LEFT JOIN
                (
                    SELECT country AS owner, year, argMax(gdp_usd, load_id) AS gdp, toUInt8(1) AS has_gdp
                    FROM reference_gdp
                    GROUP BY country, year
                ) AS g USING (owner, year)
            )
            GROUP BY owner
        )
    )
    ARRAY JOIN cs AS c
)
ORDER BY isNull(rank_usd), rank_usd, country
