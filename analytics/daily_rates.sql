-- Daily delivery, failure and complaint rates per channel and source, by send day.
-- A message belongs to the day it was sent (sent_at; its first event's time when
-- the source gives none): engagement that arrives days later counts for the day
-- of its send, not for the day it arrived. A message counts once per outcome it reached (the
-- archive holds every event, retries of a Firehose batch included). Rates are
-- over the messages sent that day: SMS sources report no separate send event, so
-- "sent" is no base for them. Failed is the API's failed group: a status of
-- message_status.model.FAILURE_STATUSES, final.
-- Opens and clicks SES marks automated (a scanner's) are left out.
-- Reads the last ${window_days} days of the archive (athena_query_window_days).
WITH messages AS (
  SELECT
    message_id,
    channel,
    source,
    date(from_iso8601_timestamp(min(coalesce(sent_at, event_time)))) AS day,
    bool_or(status = 'SENT') AS sent,
    bool_or(status = 'DELIVERED') AS delivered,
    bool_or(
      status IN ('SOFT_BOUNCED', 'SUPPRESSED', 'HARD_BOUNCED', 'REJECTED', 'RENDERING_FAILED', 'FAILED', 'OPTED_OUT')
      AND event_is_final
    ) AS failed,
    bool_or(status = 'COMPLAINED') AS complained
  FROM events
  WHERE dt >= date_format(current_date - INTERVAL '${window_days}' DAY, '%Y/%m/%d')
    AND coalesce(automated, false) = false
  GROUP BY 1, 2, 3
)
SELECT
  day,
  channel,
  source,
  count(*) AS messages,
  count_if(sent) AS sent,
  count_if(delivered) AS delivered,
  count_if(failed) AS failed,
  count_if(complained) AS complained,
  round(100.0 * count_if(delivered) / count(*), 2) AS delivery_rate_pct,
  round(100.0 * count_if(failed) / count(*), 2) AS failure_rate_pct,
  round(100.0 * count_if(complained) / count(*), 2) AS complaint_rate_pct
FROM messages
-- a message sent before the window, whose later events fall in it, is not one of its days'
WHERE day >= current_date - INTERVAL '${window_days}' DAY
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
