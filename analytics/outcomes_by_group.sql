-- Messages and their outcomes per campaign, journey or correlation id: for each
-- group, how many messages reached each outcome (a message counts under every
-- outcome it reached: delivered and later complained counts in both). Failed is the
-- API's failed group: a status of message_status.model.FAILURE_STATUSES, final.
-- Opens and clicks SES marks automated (a scanner's) are left out.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
SELECT
  CASE
    WHEN campaign_id IS NOT NULL THEN 'campaign'
    WHEN journey_id IS NOT NULL THEN 'journey'
    ELSE 'correlation'
  END AS grouped_by,
  coalesce(campaign_id, journey_id, correlation_id) AS group_id,
  count(DISTINCT message_id) AS messages,
  count(DISTINCT message_id) FILTER (WHERE status = 'DELIVERED') AS delivered,
  count(DISTINCT message_id) FILTER (
    WHERE status IN ('SOFT_BOUNCED', 'SUPPRESSED', 'HARD_BOUNCED', 'REJECTED', 'RENDERING_FAILED', 'FAILED', 'OPTED_OUT')
    AND event_is_final
  ) AS failed,
  count(DISTINCT message_id) FILTER (WHERE status IN ('OPENED', 'CLICKED')) AS engaged,
  count(DISTINCT message_id) FILTER (WHERE status IN ('COMPLAINED', 'UNSUBSCRIBED', 'OPTED_OUT')) AS opted_out
FROM events
WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
  AND coalesce(campaign_id, journey_id, correlation_id) IS NOT NULL
  AND coalesce(automated, false) = false
GROUP BY 1, 2
ORDER BY messages DESC, grouped_by, group_id
