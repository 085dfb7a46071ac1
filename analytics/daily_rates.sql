-- Daily delivery, bounce and complaint rates per channel and source.
-- A message counts once per outcome it reached that day (the archive holds every
-- event, retries of a Firehose batch included, so messages are counted distinct).
-- Rates are over the messages with any event that day: SMS sources report no
-- separate send event, so a rate over "sent" would leave SMS without one.
-- Opens and clicks SES marks automated are left out: a scanner's open a day
-- later does not make a message count that day. A suppressed mail failed.
SELECT
  date(from_iso8601_timestamp(event_time)) AS day,
  channel,
  source,
  count(DISTINCT message_id) AS messages,
  count(DISTINCT message_id) FILTER (WHERE status = 'SENT') AS sent,
  count(DISTINCT message_id) FILTER (WHERE status = 'DELIVERED') AS delivered,
  count(DISTINCT message_id) FILTER (WHERE status IN ('HARD_BOUNCED', 'SUPPRESSED', 'FAILED')) AS failed,
  count(DISTINCT message_id) FILTER (WHERE status = 'COMPLAINED') AS complained,
  round(100.0 * count(DISTINCT message_id) FILTER (WHERE status = 'DELIVERED')
    / count(DISTINCT message_id), 2) AS delivery_rate_pct,
  round(100.0 * count(DISTINCT message_id) FILTER (WHERE status IN ('HARD_BOUNCED', 'SUPPRESSED', 'FAILED'))
    / count(DISTINCT message_id), 2) AS failure_rate_pct,
  round(100.0 * count(DISTINCT message_id) FILTER (WHERE status = 'COMPLAINED')
    / count(DISTINCT message_id), 2) AS complaint_rate_pct
FROM events
WHERE coalesce(automated, false) = false
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
