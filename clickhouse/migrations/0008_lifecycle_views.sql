-- The views of migrations 0003 and 0007 under the lifecycle rules of
-- schema.FoldCommitments as they are now (docs/status.md):
--
--   - anomalies_latest records all eight kinds of anomaly that
--     queries/anomalies.sql does (0007's had four: no owner_changed,
--     activity_before_pledge, pledge_after_withdrawal or
--     withdrawal_after_delivery), so country_status_latest, which counts
--     them, agrees with the status again;
--   - commitments_latest gains delivered_at, when the commitment became
--     delivered (the epoch if never), as queries/commitments.sql gives it.
--     It is the last column, so the columns before keep their places.
--
-- A view cannot be changed in place on ClickHouse 18.16 (no CREATE OR
-- REPLACE VIEW, no ALTER of a view), nor dropped by DROP VIEW: each is
-- dropped with DROP TABLE and made again. Views that read a dropped view are
-- dropped before it, and made again after it, with 0007's text unchanged:
-- current ClickHouse with check_referential_table_dependencies = 1 refuses
-- to drop a view that another view reads. What reads what:
--
--   country_status_latest  reads anomalies_latest, commitments_latest, events_latest
--   anomalies_latest       reads events_latest
--   commitment_list_latest, leaderboard_latest, gap_by_category_latest,
--   time_to_delivery_latest, money_ranking_latest
--                          read commitments_latest
--   commitments_latest     reads events_latest
--
-- The views are missing for the moment between their DROP and their
-- CREATE. Every statement can run again (IF EXISTS, IF NOT EXISTS): a
-- migration stopped half-way is completed by the next run.
DROP TABLE IF EXISTS country_status_latest;
DROP TABLE IF EXISTS anomalies_latest;
DROP TABLE IF EXISTS commitment_list_latest;
DROP TABLE IF EXISTS leaderboard_latest;
DROP TABLE IF EXISTS gap_by_category_latest;
DROP TABLE IF EXISTS time_to_delivery_latest;
DROP TABLE IF EXISTS money_ranking_latest;
DROP TABLE IF EXISTS commitments_latest;

-- 0003's commitments_latest and delivered_at: the first deployment, in
-- time order, by which one had said complete or the running sum reached a
-- positive pledged size (queries/commitments.sql says why that is exact).
-- (The lambda captures no column: ClickHouse 18.16 loses columns that a
-- lambda captures from a subquery.)
CREATE VIEW IF NOT EXISTS commitments_latest AS
SELECT
    coalition, commitment_id, known, owner, category, asset, unit, deadline, announced_at,
    complete, deliveries, first_delivery_at, withdrawn, withdrawn_at,
    pledged_milli / 1000 AS pledged,
    delivered_sum_milli / 1000 AS delivered_sum,
    if(complete = 1 AND delivered_sum_milli < pledged_milli, pledged_milli, delivered_sum_milli) / 1000 AS delivered,
    multiIf(
        known = 0, 'unknown',
        withdrawn = 1, 'withdrawn',
        complete = 1 OR (pledged_milli > 0 AND delivered_sum_milli >= pledged_milli), 'delivered',
        deliveries > 0, 'partly_delivered',
        deadline > toDateTime(0, 'UTC') AND deadline < now(), 'lapsed',
        arrayElement(['announced', 'committed', 'allocated'], toUInt64(stage_rank))
    ) AS state,
    arrayFirst((t, sum_milli, completes, p_milli) -> completes > 0 OR (p_milli > 0 AND sum_milli >= p_milli),
        arrayMap(x -> tupleElement(x, 1), deployments_sorted),
        arrayCumSum(arrayMap(x -> tupleElement(x, 3), deployments_sorted)),
        arrayCumSum(arrayMap(x -> toUInt64(tupleElement(x, 4)), deployments_sorted)),
        arrayResize(emptyArrayInt64(), length(deployments_sorted), pledged_milli)) AS delivered_at
FROM
(
    SELECT
        coalition,
        commitment_id,
        toUInt8(countIf(e_kind = 'pledge') > 0) AS known,
        argMaxIf(e_actor, (e_at, e_id), e_kind = 'pledge') AS owner,
        argMaxIf(e_category, (e_at, e_id), e_kind = 'pledge') AS category,
        argMaxIf(e_asset, (e_at, e_id), e_kind = 'pledge') AS asset,
        argMaxIf(e_unit, (e_at, e_id), e_kind = 'pledge') AS unit,
        argMaxIf(e_qm, (e_at, e_id), e_kind = 'pledge') AS pledged_milli,
        argMaxIf(e_deadline, (e_at, e_id), e_kind = 'pledge') AS deadline,
        maxIf(multiIf(e_stage = 'allocated', 3, e_stage = 'committed', 2, 1), e_kind = 'pledge') AS stage_rank,
        minIf(e_at, e_kind = 'pledge') AS announced_at,
        sumIf(e_qm, e_kind = 'deployment') AS delivered_sum_milli,
        maxIf(e_complete, e_kind = 'deployment') AS complete,
        countIf(e_kind = 'deployment') AS deliveries,
        minIf(e_at, e_kind = 'deployment') AS first_delivery_at,
        toUInt8(countIf(e_kind = 'withdrawal') > 0) AS withdrawn,
        minIf(e_at, e_kind = 'withdrawal') AS withdrawn_at,
        arraySort(groupArrayIf((e_at, e_id, e_qm, e_complete), e_kind = 'deployment')) AS deployments_sorted
    FROM
    (
        SELECT
            coalition,
            commitment_id,
            kind AS e_kind,
            actor AS e_actor,
            category AS e_category,
            asset AS e_asset,
            unit AS e_unit,
            quantity_milli AS e_qm,
            complete AS e_complete,
            stage AS e_stage,
            deadline AS e_deadline,
            occurred_at AS e_at,
            toString(event_id) AS e_id
        FROM events_latest
        WHERE commitment_id != ''
    )
    GROUP BY coalition, commitment_id
);

-- The views of 0007 that read commitments_latest, unchanged.
CREATE VIEW IF NOT EXISTS commitment_list_latest AS
SELECT
    coalition,
    owner AS country,
    commitment_id,
    category,
    asset,
    state,
    pledged,
    unit,
    delivered,
    announced_at,
    if(deadline = toDateTime(0, 'UTC'), NULL, deadline) AS deadline,
    if(deliveries = 0, NULL, first_delivery_at) AS first_delivery_at,
    if(withdrawn = 0, NULL, withdrawn_at) AS withdrawn_at
FROM commitments_latest
WHERE known = 1;

CREATE VIEW IF NOT EXISTS leaderboard_latest AS
SELECT
    coalition,
    owner AS country,
    count() AS commitments,
    countIf(state IN ('announced', 'committed', 'allocated', 'partly_delivered')) AS open,
    countIf(state = 'partly_delivered') AS partly_delivered,
    countIf(state = 'delivered') AS delivered,
    countIf(state = 'withdrawn') AS withdrawn,
    countIf(state = 'lapsed') AS lapsed,
    round(if(countIf(state != 'withdrawn') = 0, 0, countIf(state = 'delivered') / countIf(state != 'withdrawn')), 3) AS delivered_share
FROM
(
    SELECT coalition, owner, state
    FROM commitments_latest
    WHERE known = 1
)
GROUP BY coalition, owner;

CREATE VIEW IF NOT EXISTS gap_by_category_latest AS
SELECT
    coalition,
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
    SELECT coalition, category, unit, state, toInt64(round(pledged * 1000)) AS p, toInt64(round(delivered * 1000)) AS d
    FROM commitments_latest
    WHERE known = 1 AND state != 'withdrawn'
)
GROUP BY coalition, category, unit;

CREATE VIEW IF NOT EXISTS time_to_delivery_latest AS
SELECT
    coalition,
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
        coalition, owner, commitment_id, category, state, announced_at, deliveries, first_delivery_at,
        multiIf(
            deliveries > 0 AND withdrawn = 1, if(first_delivery_at < withdrawn_at, first_delivery_at, withdrawn_at),
            deliveries > 0, first_delivery_at,
            withdrawn = 1, withdrawn_at,
            toDateTime(now(), 'UTC')) AS closed_at
    FROM commitments_latest
    WHERE known = 1
);

CREATE VIEW IF NOT EXISTS money_ranking_latest AS
SELECT
    coalition,
    country,
    commitments,
    currencies,
    pledged_usd,
    delivered_usd,
    pledged_pct_gdp,
    delivered_pct_gdp,
    if(isNull(pledged_usd), NULL, indexOf(usd_order, assumeNotNull(pledged_usd))) AS rank_usd,
    if(isNull(pledged_pct_gdp), NULL, indexOf(pct_order, assumeNotNull(pledged_pct_gdp))) AS rank_pct_gdp,
    missing_fx,
    missing_gdp
FROM
(
    SELECT
        coalition,
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
            coalition,
            groupArray((country, commitments, currencies, pledged_usd, delivered_usd, pledged_pct_gdp, delivered_pct_gdp, missing_fx, missing_gdp)) AS cs,
            groupArray(pledged_usd) AS all_usd,
            groupArray(pledged_pct_gdp) AS all_pct
        FROM
        (
            SELECT
                coalition,
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
                    coalition, owner, unit, has_rate, has_gdp,
                    if(has_rate = 1, p / per_usd, 0) AS p_usd,
                    if(has_rate = 1, d / per_usd, 0) AS d_usd,
                    if(has_rate = 1 AND has_gdp = 1, p / per_usd / gdp, 0) AS p_share,
                    if(has_rate = 1 AND has_gdp = 1, d / per_usd / gdp, 0) AS d_share
                FROM
                (
                    SELECT coalition, owner, unit, year, p, d,
                        toUInt8(unit = 'USD' OR fx_found = 1) AS has_rate,
                        if(unit = 'USD', 1, rate) AS per_usd
                    FROM
                    (
                        SELECT coalition, owner, unit, toYear(announced_at) AS year,
                            toInt64(round(pledged * 1000)) / 1000 AS p, toInt64(round(delivered * 1000)) / 1000 AS d
                        FROM commitments_latest
                        WHERE known = 1 AND state != 'withdrawn' AND match(unit, '^[A-Z]{3}$')
                    ) AS money
                    ANY LEFT JOIN
                    (
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
            GROUP BY coalition, owner
        )
        GROUP BY coalition
    )
    ARRAY JOIN cs AS c
);

-- queries/anomalies.sql for every coalition: each commitment's acts
-- (deployments, withdrawals, and pledges with the actor of the pledge
-- before them) and one pseudo-act ('over') for the commitment itself, each
-- made one row per kind of anomaly it is. The commitments are folded here
-- from events_latest as queries/commitments.sql folds them, with only the
-- columns the rules read. (No lambda captures a column: see above.)
CREATE VIEW IF NOT EXISTS anomalies_latest AS
SELECT coalition, country, commitment_id, kind, event_id
FROM
(
    SELECT
        coalition,
        if(a_kind = 'over', owner, a_actor) AS country,
        commitment_id,
        arrayJoin(arrayConcat(
            if(a_kind IN ('deployment', 'withdrawal') AND known = 0, ['unknown_commitment'], emptyArrayString()),
            if(a_kind IN ('deployment', 'withdrawal') AND known = 1 AND a_actor != owner, ['actor_mismatch'], emptyArrayString()),
            if(a_kind IN ('deployment', 'withdrawal') AND known = 1 AND a_at < announced_at, ['activity_before_pledge'], emptyArrayString()),
            if(a_kind = 'deployment' AND known = 1 AND withdrawn = 1 AND a_at > withdrawn_at, ['delivery_after_withdrawal'], emptyArrayString()),
            if(a_kind = 'withdrawal' AND known = 1 AND delivered_at > toDateTime(0, 'UTC') AND a_at > delivered_at, ['withdrawal_after_delivery'], emptyArrayString()),
            if(a_kind = 'pledge' AND a_prev != '' AND a_prev != a_actor, ['owner_changed'], emptyArrayString()),
            if(a_kind = 'pledge' AND withdrawn = 1 AND withdrawn_at < a_at, ['pledge_after_withdrawal'], emptyArrayString()),
            if(a_kind = 'over' AND known = 1 AND pledged_milli > 0 AND delivered_sum_milli > pledged_milli, ['over_delivery'], emptyArrayString()))) AS kind,
        a_id AS event_id
    FROM
    (
        SELECT
            coalition, commitment_id, known, owner, announced_at, withdrawn, withdrawn_at, delivered_at,
            pledged_milli, delivered_sum_milli,
            tupleElement(act, 1) AS a_actor,
            tupleElement(act, 2) AS a_id,
            tupleElement(act, 3) AS a_at,
            tupleElement(act, 4) AS a_kind,
            tupleElement(act, 5) AS a_prev
        FROM
        (
            SELECT
                coalition, commitment_id, known, owner, announced_at, withdrawn, withdrawn_at,
                pledged_milli, delivered_sum_milli,
                arrayFirst((t, sum_milli, completes, p_milli) -> completes > 0 OR (p_milli > 0 AND sum_milli >= p_milli),
                    arrayMap(x -> tupleElement(x, 1), deployments_sorted),
                    arrayCumSum(arrayMap(x -> tupleElement(x, 3), deployments_sorted)),
                    arrayCumSum(arrayMap(x -> toUInt64(tupleElement(x, 4)), deployments_sorted)),
                    arrayResize(emptyArrayInt64(), length(deployments_sorted), pledged_milli)) AS delivered_at,
                arrayConcat(other_acts,
                    arrayMap((x, prev) -> (tupleElement(x, 3), tupleElement(x, 2), tupleElement(x, 1), 'pledge', prev),
                        pledges_sorted,
                        arrayPopBack(arrayPushFront(arrayMap(x -> tupleElement(x, 3), pledges_sorted), '')))) AS acts
            FROM
            (
                SELECT
                    coalition,
                    commitment_id,
                    toUInt8(countIf(e_kind = 'pledge') > 0) AS known,
                    argMaxIf((e_actor, e_qm), (e_at, e_id), e_kind = 'pledge') AS defining,
                    tupleElement(defining, 1) AS owner,
                    tupleElement(defining, 2) AS pledged_milli,
                    minIf(e_at, e_kind = 'pledge') AS announced_at,
                    sumIf(e_qm, e_kind = 'deployment') AS delivered_sum_milli,
                    toUInt8(countIf(e_kind = 'withdrawal') > 0) AS withdrawn,
                    minIf(e_at, e_kind = 'withdrawal') AS withdrawn_at,
                    groupArrayIf((e_actor, e_id, e_at, toString(e_kind), ''), e_kind != 'pledge') AS other_acts,
                    arraySort(groupArrayIf((e_at, e_id, e_actor), e_kind = 'pledge')) AS pledges_sorted,
                    arraySort(groupArrayIf((e_at, e_id, e_qm, e_complete), e_kind = 'deployment')) AS deployments_sorted
                FROM
                (
                    SELECT
                        coalition,
                        commitment_id,
                        kind AS e_kind,
                        actor AS e_actor,
                        quantity_milli AS e_qm,
                        complete AS e_complete,
                        occurred_at AS e_at,
                        toString(event_id) AS e_id
                    FROM events_latest
                    WHERE commitment_id != ''
                )
                GROUP BY coalition, commitment_id
            )
        )
        ARRAY JOIN arrayPushBack(acts, (owner, '', toDateTime(0, 'UTC'), 'over', '')) AS act
    )
);

-- 0007's country_status_latest, unchanged: it counts anomalies_latest's
-- rows, now of every kind.
CREATE VIEW IF NOT EXISTS country_status_latest AS
SELECT
    coalition,
    country,
    multiIf(
        has_stance = 1 AND stance_v <= -2, 'opposed',
        member_conflicts > 0, 'at_odds',
        has_stance = 1 AND (stance_v = -1 OR (has_prev = 1 AND stance_v < prev_v)), 'wavering',
        delivering = 1, 'delivering',
        open > 0, 'pledged',
        has_stance = 1 AND stance_v >= 1, 'supportive',
        'neutral') AS label,
    events,
    if(has_stance = 1, stance_v, NULL) AS stance,
    if(has_stance = 1, stance_at_v, NULL) AS stance_at,
    if(has_prev = 1, prev_v, NULL) AS prev_stance,
    meetings,
    if(meetings > 0, last_meeting_v, NULL) AS last_meeting_at,
    pledges,
    deployments,
    withdrawals,
    sanctions_imposed,
    sanctions_received,
    incidents,
    member_conflicts,
    commitments,
    open,
    partly_delivered,
    delivered,
    withdrawn,
    lapsed,
    anomalies,
    unmatched,
    last_activity_at
FROM
(
    SELECT *
    FROM
    (
        SELECT
            coalition,
            country,
            countIf(is_actor) AS events,
            toUInt8(countIf(is_actor AND e_kind = 'statement') > 0) AS has_stance,
            argMaxIf(e_stance, (e_at, e_id), is_actor AND e_kind = 'statement') AS stance_v,
            maxIf(e_at, is_actor AND e_kind = 'statement') AS stance_at_v,
            toUInt8(countIf(is_actor AND e_kind = 'statement') > 1) AS has_prev,
            tupleElement(arrayElement(arraySort(groupArrayIf((e_at, e_id, e_stance), is_actor AND e_kind = 'statement')), -2), 3) AS prev_v,
            countIf(e_kind = 'meeting') AS meetings,
            maxIf(e_at, e_kind = 'meeting') AS last_meeting_v,
            countIf(is_actor AND e_kind = 'pledge') AS pledges,
            countIf(is_actor AND e_kind = 'deployment') AS deployments,
            countIf(is_actor AND e_kind = 'withdrawal') AS withdrawals,
            countIf(is_actor AND e_kind = 'sanction') AS sanctions_imposed,
            countIf(NOT is_actor AND e_kind = 'sanction') AS sanctions_received,
            countIf(e_kind = 'incident') AS incidents,
            countIf(e_kind IN ('sanction', 'incident') AND counterpart_is_member) AS member_conflicts,
            maxIf(e_at, is_actor) AS last_activity_at
        FROM
        (
            SELECT
                coalition,
                arrayJoin(arrayDistinct(arrayFilter(c -> c != '', arrayConcat([actor, counterpart], participants)))) AS country,
                country = actor AS is_actor,
                (coalition, counterpart) IN (SELECT coalition, actor FROM events_latest) AS counterpart_is_member,
                kind AS e_kind,
                occurred_at AS e_at,
                stance AS e_stance,
                toString(event_id) AS e_id
            FROM events_latest
        )
        GROUP BY coalition, country
    ) AS summary
    ANY LEFT JOIN
    (
        SELECT
            coalition,
            owner AS country,
            count() AS commitments,
            countIf(state IN ('announced', 'committed', 'allocated', 'partly_delivered')) AS open,
            countIf(state = 'partly_delivered') AS partly_delivered,
            countIf(state = 'delivered') AS delivered,
            countIf(state = 'withdrawn') AS withdrawn,
            countIf(state = 'lapsed') AS lapsed,
            toUInt8(countIf(state IN ('partly_delivered', 'delivered')) > 0 OR sum(dm) > 0) AS delivering
        FROM
        (
            SELECT coalition, owner, state, toInt64(round(delivered * 1000)) AS dm
            FROM commitments_latest
            WHERE known = 1
        )
        GROUP BY coalition, owner
    ) AS owned USING (coalition, country)
) AS with_commitments
ANY LEFT JOIN
(
    SELECT coalition, country, count() AS anomalies, countIf(kind = 'unknown_commitment') AS unmatched
    FROM anomalies_latest
    GROUP BY coalition, country
) AS anomaly_counts USING (coalition, country);
