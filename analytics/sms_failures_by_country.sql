-- SMS failures by destination country and the carrier's or service's status.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
SELECT
  coalesce(iso_country_code, 'unknown') AS country,
  coalesce(detail, 'unknown') AS carrier_status,
  count(DISTINCT message_id) AS failed_messages
FROM events
WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
  AND channel = 'sms' AND status = 'FAILED'
GROUP BY 1, 2
ORDER BY failed_messages DESC, country, carrier_status
