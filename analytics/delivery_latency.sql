-- Time from send to delivered, per day and channel: p50, p95 and p99, in seconds.
-- Each message's first delivery event against the time it was sent.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
WITH delivered AS (
  SELECT
    message_id,
    channel,
    min(from_iso8601_timestamp(event_time)) AS delivered_at,
    min(from_iso8601_timestamp(sent_at)) AS sent_at
  FROM events
  WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
    AND status = 'DELIVERED' AND sent_at IS NOT NULL
  GROUP BY 1, 2
)
SELECT
  date(delivered_at) AS day,
  channel,
  count(*) AS messages,
  approx_percentile(to_unixtime(delivered_at) - to_unixtime(sent_at), 0.5) AS p50_seconds,
  approx_percentile(to_unixtime(delivered_at) - to_unixtime(sent_at), 0.95) AS p95_seconds,
  approx_percentile(to_unixtime(delivered_at) - to_unixtime(sent_at), 0.99) AS p99_seconds
FROM delivered
GROUP BY 1, 2
ORDER BY 1, 2
