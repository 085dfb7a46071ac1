-- Hard bounces and complaints by recipient domain: which mailbox providers refuse
-- or complain. An event names the recipients it concerns, else the message's.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
SELECT
  lower(split_part(recipient, '@', 2)) AS domain,
  count(DISTINCT message_id) FILTER (WHERE status = 'HARD_BOUNCED') AS hard_bounced,
  count(DISTINCT message_id) FILTER (WHERE status = 'COMPLAINED') AS complained
FROM events
CROSS JOIN UNNEST(coalesce(recipients, destination)) AS t (recipient)
WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
  AND channel = 'email' AND status IN ('HARD_BOUNCED', 'COMPLAINED')
GROUP BY 1
ORDER BY hard_bounced + complained DESC, domain
