-- SMS spend per day and destination country, in US dollars (prices are reported
-- in millicents: 100,000 per dollar). Each message's price is counted once.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
WITH priced AS (
  SELECT
    message_id,
    date(min(from_iso8601_timestamp(event_time))) AS day,
    coalesce(max(iso_country_code), 'unknown') AS country,
    max(price_in_millicents_usd) AS price_in_millicents_usd
  FROM events
  WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
    AND channel = 'sms' AND price_in_millicents_usd IS NOT NULL
  GROUP BY 1
)
SELECT
  day,
  country,
  count(*) AS messages,
  round(sum(price_in_millicents_usd) / 100000.0, 4) AS spend_usd
FROM priced
GROUP BY 1, 2
ORDER BY 1, spend_usd DESC, country
