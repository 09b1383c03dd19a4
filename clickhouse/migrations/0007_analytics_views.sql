-- Views of the analytics catalog for analysts' own SQL (clickhouse-client,
-- Grafana, the read-only analyst user): each gives the rows of the named
-- query of the same name (queries/<name>.sql, less the _latest), for every
-- coalition at once (a coalition column first) and as known now: every
-- event reported so far, deadlines against now(). They restate the
-- queries over events_latest and commitments_latest (migration 0003), and
-- the tests hold each equal to its query, row for row, on ClickHouse 18.16
-- and on current releases.
--
--   SELECT * FROM leaderboard_latest WHERE coalition = 'paris-2015'
--   SELECT week, sum(events) FROM weekly_activity_latest GROUP BY week ORDER BY week
--
-- commitments_latest shows quantities, not the thousandths the queries add
-- up: toInt64(round(x * 1000)) gives the thousandths back exactly.

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

CREATE VIEW IF NOT EXISTS weekly_activity_latest AS
SELECT
    coalition,
    toMonday(occurred_at) AS week,
    count() AS events,
    countIf(kind = 'meeting') AS meetings,
    countIf(kind = 'statement') AS statements,
    countIf(kind = 'pledge') AS pledges,
    countIf(kind = 'deployment') AS deployments,
    countIf(kind = 'withdrawal') AS withdrawals,
    countIf(kind = 'sanction') AS sanctions,
    countIf(kind = 'incident') AS incidents,
    uniqExact(actor) AS countries
FROM events_latest
GROUP BY coalition, week;

CREATE VIEW IF NOT EXISTS stance_timeline_latest AS
SELECT
    coalition,
    actor AS country,
    occurred_at,
    stance,
    ['opposed', 'skeptical', 'neutral', 'supportive', 'strongly_supportive'][toUInt64(stance + 3)] AS stance_name,
    counterpart,
    summary,
    source
FROM events_latest
WHERE kind = 'statement';

-- events_latest has no destination, which cohesion reads: this view
-- de-duplicates events itself (the rules of events_latest).
CREATE VIEW IF NOT EXISTS cohesion_matrix_latest AS
SELECT
    coalition,
    country_a,
    country_b,
    sum(coop) AS cooperation,
    sum(conf) AS conflict,
    sum(coop) - sum(conf) AS net
FROM
(
    SELECT coalition, a AS country_a, b AS country_b, toInt64(1) AS coop, toInt64(0) AS conf
    FROM
    (
        SELECT
            coalition,
            arrayJoin(present) AS a,
            arrayJoin(arrayConcat(present, emptyArrayString())) AS b
        FROM
        (
            SELECT coalition, arrayDistinct(arrayFilter(c -> c != '', arrayConcat([actor, counterpart], participants))) AS present
            FROM events_latest
            WHERE kind = 'meeting'
        )
    )
    WHERE a < b
    UNION ALL
    SELECT
        coalition,
        if(actor < partner, actor, partner) AS country_a,
        if(actor < partner, partner, actor) AS country_b,
        toInt64(kind IN ('pledge', 'deployment') OR (kind = 'statement' AND stance > 0)) AS coop,
        toInt64(kind IN ('sanction', 'incident') OR (kind = 'statement' AND stance < 0)) AS conf
    FROM
    (
        SELECT
            coalition, actor, kind, stance,
            arrayJoin(arrayDistinct([counterpart, if(kind = 'pledge' AND (coalition, destination) IN (SELECT coalition, actor FROM events_latest), destination, '')])) AS partner
        FROM
        (
            SELECT
                coalition,
                tupleElement(latest, 1) AS kind,
                tupleElement(latest, 2) AS actor,
                tupleElement(latest, 3) AS counterpart,
                tupleElement(latest, 4) AS stance,
                tupleElement(latest, 5) AS destination
            FROM
            (
                SELECT coalition, event_id, argMax((kind, actor, counterpart, stance, destination, retracted), (revision, data)) AS latest
                FROM events
                GROUP BY coalition, event_id
            )
            WHERE tupleElement(latest, 6) = 0
        )
        WHERE kind != 'meeting'
    )
    WHERE partner != '' AND partner != actor
)
GROUP BY coalition, country_a, country_b
HAVING cooperation + conflict > 0;

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

-- The acts (deployments and withdrawals) beside their commitment, and
-- each commitment for over_delivery, as queries/anomalies.sql does.
CREATE VIEW IF NOT EXISTS anomalies_latest AS
SELECT coalition, country, commitment_id, kind, event_id
FROM
(
    SELECT
        coalition,
        a_actor AS country,
        commitment_id,
        arrayJoin(['unknown_commitment', 'actor_mismatch', 'delivery_after_withdrawal']) AS kind,
        a_id AS event_id,
        known, owner, withdrawn, withdrawn_at, a_actor, a_at, a_kind
    FROM
    (
        SELECT coalition, commitment_id, actor AS a_actor, toString(event_id) AS a_id, occurred_at AS a_at, toString(kind) AS a_kind
        FROM events_latest
        WHERE kind IN ('deployment', 'withdrawal') AND commitment_id != ''
    ) AS acts
    ALL INNER JOIN
    (
        SELECT coalition, commitment_id, known, owner, withdrawn, withdrawn_at
        FROM commitments_latest
    ) AS c USING (coalition, commitment_id)
    WHERE multiIf(
        kind = 'unknown_commitment', known = 0,
        kind = 'actor_mismatch', known = 1 AND a_actor != owner,
        known = 1 AND withdrawn = 1 AND a_kind = 'deployment' AND a_at > withdrawn_at)
    UNION ALL
    SELECT coalition, owner AS country, commitment_id, 'over_delivery' AS kind, '' AS event_id,
        known, owner, withdrawn, withdrawn_at, '' AS a_actor, toDateTime(0, 'UTC') AS a_at, '' AS a_kind
    FROM commitments_latest
    WHERE known = 1 AND pledged > 0 AND toInt64(round(delivered_sum * 1000)) > toInt64(round(pledged * 1000))
);

-- Each country's status (docs/status.md), as coalition status and
-- GET /api/v1/countries give it, less the lines by category and unit
-- (gap_by_category_latest has those for the coalition): activity counts,
-- the latest stance and the one before (NULL if none), commitments by
-- state, anomalies and the label, by the rules of schema.StatusLabel.
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
