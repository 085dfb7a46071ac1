-- SMS failures by destination country and the carrier's or service's status.
SELECT
  coalesce(iso_country_code, 'unknown') AS country,
  coalesce(detail, 'unknown') AS carrier_status,
  count(DISTINCT message_id) AS failed_messages
FROM events
WHERE channel = 'sms' AND status = 'FAILED'
GROUP BY 1, 2
ORDER BY failed_messages DESC, country, carrier_status
