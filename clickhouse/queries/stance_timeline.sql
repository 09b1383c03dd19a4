-- Catalog: Stance timeline
-- Answers: how did each country's position move? Every statement, by
-- country and time, on the stance scale (-2 opposed .. +2
-- strongly_supportive). Optional: country (an ISO alpha-3 code).
-- Param: coalition String
-- Param: as_of DateTime now
-- Param: country String ''
SELECT
    actor AS country,
    occurred_at,
    stance,
    ['opposed', 'skeptical', 'neutral', 'supportive', 'strongly_supportive'][toUInt64(stance + 3)] AS stance_name,
    counterpart,
    summary,
    source
FROM (__DEDUP_EVENTS__)
WHERE kind = 'statement' AND (@country = '' OR actor = @country)
ORDER BY country, occurred_at, toString(event_id)
