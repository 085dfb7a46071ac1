-- Delivery, bounce, complaint and engagement rates per SES tenant (the tag
-- ses:tenant-name SES puts on a tenant's mail). A message counts under its tenant
-- whichever of its events carried the tag. Opens and clicks SES marks automated
-- (a scanner's, a prefetcher's) are left out of every count. Bounces are over the
-- messages SES attempted: suppressed ones (sent to an address on a suppression
-- list, never attempted) are counted apart.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
WITH tenants AS (
  SELECT message_id, max(tenant) AS tenant
  FROM events
  WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
    AND tenant IS NOT NULL
  GROUP BY 1
),
outcomes AS (
  SELECT
    t.tenant,
    e.message_id,
    e.status
  FROM events AS e
  JOIN tenants AS t ON e.message_id = t.message_id
  WHERE e.dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
    AND coalesce(e.automated, false) = false
),
counted AS (
  SELECT
    tenant,
    count(DISTINCT message_id) AS messages,
    count(DISTINCT message_id) FILTER (WHERE status = 'DELIVERED') AS delivered,
    count(DISTINCT message_id) FILTER (WHERE status = 'HARD_BOUNCED') AS hard_bounced,
    count(DISTINCT message_id) FILTER (WHERE status = 'SUPPRESSED') AS suppressed,
    count(DISTINCT message_id) FILTER (WHERE status = 'COMPLAINED') AS complained,
    count(DISTINCT message_id) FILTER (WHERE status IN ('OPENED', 'CLICKED')) AS engaged
  FROM outcomes
  GROUP BY 1
)
SELECT
  tenant,
  messages,
  delivered,
  hard_bounced,
  suppressed,
  complained,
  engaged,
  round(100.0 * delivered / messages, 2) AS delivery_rate_pct,
  round(100.0 * hard_bounced / nullif(messages - suppressed, 0), 2) AS bounce_rate_pct,
  round(100.0 * complained / nullif(delivered, 0), 2) AS complaint_rate_pct,
  round(100.0 * engaged / nullif(delivered, 0), 2) AS engagement_rate_pct
FROM counted
ORDER BY messages DESC, tenant
