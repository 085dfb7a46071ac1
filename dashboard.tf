################################################################################
# Dashboard: throughput, statuses, deliverability rates, errors, freshness, healing
################################################################################

locals {
  dashboard_enabled = local.create && var.dashboard_enabled
  ns                = var.metrics_namespace

  # Every (channel, status) pair the transform has counted, found by SEARCH, so
  # that the dashboard never lists statuses by hand.
  statuses_search = "SEARCH('{${local.ns},channel,service,status} MetricName=\"recipient_events\" service=\"${local.transform_service}\"', 'Sum', 60)"

  # The bounce rate as the bounce-rate alarm (alarms.tf) and SES count it.
  attempted = "sent - ${join(" - ", [for l in local.suppression_lists_out_of_bounce_rate : "FILL(x_${l}, 0)"])}"
  rate_expression = {
    "email bounce rate %"    = "IF(${local.attempted} > 0, 100 * (bounced + ${join(" + ", [for l in local.suppression_lists_in_bounce_rate : "FILL(s_${l}, 0)"])}) / (${local.attempted}), 0)"
    "email complaint rate %" = "IF(sent > 0, 100 * complained / sent, 0)"
    "sms failure rate %"     = "IF(sms_delivered + sms_failed > 0, 100 * sms_failed / (sms_delivered + sms_failed), 0)"
    "mms failure rate %"     = "IF(mms_delivered + mms_failed > 0, 100 * mms_failed / (mms_delivered + mms_failed), 0)"
    "voice failure rate %"   = "IF(voice_delivered + voice_failed > 0, 100 * voice_failed / (voice_delivered + voice_failed), 0)"
  }

  recipient_metric_refs = [
    ["sent", "email", "SENT"],
    ["bounced", "email", "HARD_BOUNCED"],
    ["complained", "email", "COMPLAINED"],
    ["sms_delivered", "sms", "DELIVERED"],
    ["sms_failed", "sms", "FAILED"],
    ["mms_delivered", "mms", "DELIVERED"],
    ["mms_failed", "mms", "FAILED"],
    ["voice_delivered", "voice", "DELIVERED"],
    ["voice_failed", "voice", "FAILED"],
  ]
  suppressed_metric_refs = concat(
    [for l in local.suppression_lists_in_bounce_rate : ["s_${l}", l]],
    [for l in local.suppression_lists_out_of_bounce_rate : ["x_${l}", l]],
  )

  dashboard_widgets = [
    {
      type = "metric", x = 0, y = 0, width = 12, height = 6
      properties = {
        title  = "Throughput: records in, messages written"
        region = local.region
        stat   = "Sum"
        period = 60
        metrics = concat(
          [
            for key in keys(local.delivery_streams) :
            ["AWS/Firehose", key == "events" ? "IncomingRecords" : "DataReadFromKinesisStream.Records", "DeliveryStreamName", "${var.name}-${key}", { label = "records in (${key})" }]
          ],
          [
            [local.ns, "records_event", "service", local.transform_service, { label = "delivery events" }],
            [".", "records_skipped", ".", ".", { label = "other events (dropped)" }],
            [".", "messages_written", ".", ".", { label = "messages written" }],
            [".", "messages_unchanged", ".", ".", { label = "messages unchanged (retries)" }],
        ])
      }
    },
    {
      type = "metric", x = 12, y = 0, width = 12, height = 6
      properties = {
        title   = "Recipient events per minute, by channel and status"
        region  = local.region
        period  = 60
        metrics = [[{ expression = local.statuses_search, id = "statuses", label = "" }]]
      }
    },
    {
      type = "metric", x = 0, y = 6, width = 12, height = 6
      properties = {
        title  = "Deliverability, per hour (SES reviews at 5% bounces, 0.1% complaints)"
        region = local.region
        period = 3600
        metrics = concat(
          [for label, expression in local.rate_expression : [{ expression = expression, label = label, id = replace(replace(lower(label), " ", "_"), "%", "pct") }]],
          [for ref in local.recipient_metric_refs : [local.ns, "recipient_events", "channel", ref[1], "status", ref[2], "service", local.transform_service, { id = ref[0], stat = "Sum", visible = false }]],
          [for ref in local.suppressed_metric_refs : [local.ns, "suppressed_recipients", "list", ref[1], "service", local.transform_service, { id = ref[0], stat = "Sum", visible = false }]],
        )
        yAxis = { left = { min = 0, label = "%" } }
      }
    },
    {
      type = "metric", x = 12, y = 6, width = 12, height = 6
      properties = {
        title  = "Errors"
        region = local.region
        stat   = "Sum"
        period = 300
        metrics = concat(
          [
            [local.ns, "records_invalid", "service", local.transform_service, { label = "records invalid (to errors/)" }],
            [".", "messages_failed", ".", ".", { label = local.heal_enabled ? "messages failed (to errors/, retries scheduled)" : "messages failed (to errors/)" }],
            ["AWS/Lambda", "Errors", "FunctionName", local.transform_function_name, { label = "transform errors" }],
            ["...", local.query_function_name, { label = "query errors" }],
            ["AWS/ApiGateway", "5xx", "ApiId", try(aws_apigatewayv2_api.this[0].id, ""), { label = "API 5xx" }],
            ["AWS/DynamoDB", "WriteThrottleEvents", "TableName", var.name, { label = "table write throttles" }],
          ],
          local.status_events ? [["AWS/Lambda", "Errors", "FunctionName", local.stream_function_name, { label = "stream errors" }]] : [],
          local.heal_enabled ? [["AWS/Lambda", "Errors", "FunctionName", local.heal_function_name, { label = "heal errors" }]] : [],
        )
      }
    },
    {
      type = "metric", x = 0, y = 12, width = 12, height = 6
      properties = {
        title  = "Freshness: from Firehose ingest to table write (ms), and to S3 (s)"
        region = local.region
        stat   = "Maximum"
        period = 60
        metrics = concat(
          [
            [local.ns, "ingest_to_write_ms", "service", local.transform_service, { label = "ingest to table write, oldest record (ms)" }],
          ],
          [
            for key in keys(local.delivery_streams) :
            ["AWS/Firehose", "DeliveryToS3.DataFreshness", "DeliveryStreamName", "${var.name}-${key}", { label = "oldest record not yet in S3 (${key}, s)", yAxis = "right" }]
          ],
        )
      }
    },
    {
      type = "metric", x = 12, y = 12, width = 12, height = 6
      properties = {
        title  = "API: requests and p99 latency"
        region = local.region
        period = 300
        metrics = [
          ["AWS/ApiGateway", "Count", "ApiId", try(aws_apigatewayv2_api.this[0].id, ""), { stat = "Sum", label = "requests" }],
          [".", "Latency", ".", ".", { stat = "p99", label = "p99 latency (ms)", yAxis = "right" }],
        ]
      }
    },
  ]

  # Healing (heal.tf): what the transform failed, and what became of it.
  heal_widgets = local.heal_enabled ? [
    {
      type = "metric", x = 0, y = 18, width = 24, height = 6
      properties = {
        title  = "Healing: failed by the transform, retried, healed, parked, given up"
        region = local.region
        stat   = "Sum"
        period = 300
        metrics = [
          [local.ns, "messages_failed", "service", local.transform_service, { label = "messages failed by the transform (retries scheduled)" }],
          [local.ns, "records_retried", "service", local.heal_function_name, { label = "records retried" }],
          [".", "records_healed", ".", ".", { label = "records healed (in the table)" }],
          [".", "records_parked", ".", ".", { label = "records parked (errors/parked/, never storable)" }],
          [".", "records_given_up", ".", ".", { label = "records given up (errors/processing-failed/, for a person)" }],
          ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", local.heal_dead_letter_queue_name, { stat = "Maximum", label = "objects given up (dead-letter queue)", yAxis = "right" }],
        ]
      }
    },
  ] : []
}

resource "aws_cloudwatch_dashboard" "this" {
  count = local.dashboard_enabled ? 1 : 0

  dashboard_name = var.name
  dashboard_body = jsonencode({ widgets = concat(local.dashboard_widgets, local.heal_widgets) })
}
