################################################################################
# Alarms: every part of the pipeline, and the deliverability rates
#
# Each alarm's description says what to do when it fires. Thresholds default
# to var.alarms.thresholds (see its description for their sources); the rate
# alarms divide the transform's recipient_events metric (per recipient, by
# channel and status: lambda_src/message_status/metrics.py) with metric math.
################################################################################

locals {
  alarms_enabled = local.create && var.alarms.enabled
  thresholds     = var.alarms.thresholds
  alarm_topic    = local.alarms_enabled && length(var.alarms.email_subscriptions) > 0
  alarm_actions  = concat(var.alarms.actions, local.alarm_topic ? [aws_sns_topic.alarms[0].arn] : [])

  transform_service = "${var.name}-transform"
  # What becomes of the records the transform could not write, as the alarms say it.
  failed_records_fate = (
    local.heal_enabled
    ? ", and the heal function writes them once the table answers again (messages-failed fires for what it gives up)"
    : "; replay them with `msgstatus replay` once it passes"
  )

  # The direct delivery stream's alarms keep the names they had before Kinesis sources.
  firehose_alarm_prefixes = { for key in keys(local.delivery_streams) : key => key == "events" ? "firehose" : "firehose-${key}" }

  # Alarms on one metric: name suffix => settings.
  all_metric_alarms = merge(
    merge([
      for key, prefix in local.firehose_alarm_prefixes : {
        "${prefix}-processing" = {
          namespace   = "AWS/Firehose"
          metric      = "ExecuteProcessing.Success"
          dimensions  = { DeliveryStreamName = "${var.name}-${key}" }
          statistic   = "Average"
          extended    = null
          comparison  = "LessThanThreshold"
          threshold   = 1
          description = "Firehose (${var.name}-${key}) could not invoke the transform for some records: they go to errors/ in the archive bucket. Check the transform's errors and throttles, then replay errors/ with `msgstatus replay`."
        }
        "${prefix}-delivery" = {
          namespace   = "AWS/Firehose"
          metric      = "DeliveryToS3.Success"
          dimensions  = { DeliveryStreamName = "${var.name}-${key}" }
          statistic   = "Average"
          extended    = null
          comparison  = "LessThanThreshold"
          threshold   = 1
          description = "Firehose (${var.name}-${key}) failed to write to the archive bucket (it retries for 24 hours). Check the bucket policy, the KMS key policy and the Firehose role; the stream's error logs say why."
        }
        "${prefix}-freshness" = {
          namespace   = "AWS/Firehose"
          metric      = "DeliveryToS3.DataFreshness"
          dimensions  = { DeliveryStreamName = "${var.name}-${key}" }
          statistic   = "Maximum"
          extended    = null
          comparison  = "GreaterThanThreshold"
          threshold   = local.thresholds.firehose_freshness_seconds
          description = "The oldest record in Firehose (${var.name}-${key}) has waited more than ${local.thresholds.firehose_freshness_seconds} s: statuses are late. Check the transform's duration, errors and throttles, and the delivery errors."
        }
      }
    ]...),
    {
      for key in keys(var.kinesis_source_stream_arns) : "firehose-kinesis-${key}-behind" => {
        namespace   = "AWS/Firehose"
        metric      = "KinesisMillisBehindLatest"
        dimensions  = { DeliveryStreamName = "${var.name}-kinesis-${key}" }
        statistic   = "Maximum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = local.thresholds.firehose_freshness_seconds * 1000
        description = "Firehose (${var.name}-kinesis-${key}) reads its Kinesis stream more than ${local.thresholds.firehose_freshness_seconds} s behind its tip. Records older than the stream's retention are lost: check the stream's read throttling (other consumers share its 2 MB/s per shard) and the transform."
      }
    },
    {
      "transform-errors" = {
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = local.transform_function_name }
        statistic   = "Sum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "The transform crashed (not a bad record: those are answered ProcessingFailed). Firehose retries the batch, then writes it to errors/. Read the function's log, fix, then replay errors/."
      }
      "transform-throttles" = {
        namespace   = "AWS/Lambda"
        metric      = "Throttles"
        dimensions  = { FunctionName = local.transform_function_name }
        statistic   = "Sum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "The transform was throttled: raise transform_reserved_concurrency or the account's concurrency limit. Firehose retries, statuses are late."
      }
      "transform-duration" = {
        namespace   = "AWS/Lambda"
        metric      = "Duration"
        dimensions  = { FunctionName = local.transform_function_name }
        statistic   = "Maximum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = var.transform_timeout_seconds * 1000 * local.thresholds.transform_duration_percent / 100
        description = "The transform ran close to its ${var.transform_timeout_seconds} s timeout: DynamoDB is slow or throttling, or batches grew. Check DynamoDB throttles; raise transform_timeout_seconds or lower processor_buffer_size_mb."
      }
      "records-invalid" = {
        namespace   = var.metrics_namespace
        metric      = "records_invalid"
        dimensions  = { service = local.transform_service }
        statistic   = "Sum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = local.thresholds.records_invalid
        description = "More than ${local.thresholds.records_invalid} records in 5 minutes could not be parsed: a source sends something new, or something else writes to the stream. They are in errors/ with their data (errors/parked/ once the heal function has looked at them): read one, then replay once fixed."
      }
      "query-errors" = {
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = local.query_function_name }
        statistic   = "Sum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "The query function crashed: callers got 5xx. Read its log (it logs no personal data)."
      }
      "api-latency-p99" = {
        namespace   = "AWS/ApiGateway"
        metric      = "Latency"
        dimensions  = { ApiId = try(aws_apigatewayv2_api.this[0].id, "") }
        statistic   = null
        extended    = "p99"
        comparison  = "GreaterThanThreshold"
        threshold   = local.thresholds.api_p99_latency_ms
        description = "1% of API requests took over ${local.thresholds.api_p99_latency_ms} ms. Check the query function's duration and DynamoDB latency; large batch-gets and status searches are the slow kinds."
      }
    },
    {
      "stream-iterator-age" = {
        namespace   = "AWS/Lambda"
        metric      = "IteratorAge"
        dimensions  = { FunctionName = local.stream_function_name }
        statistic   = "Maximum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = local.thresholds.stream_iterator_age_seconds * 1000
        description = "Status-change events are more than ${local.thresholds.stream_iterator_age_seconds} s behind the table: the stream function fails or retries (EventBridge throttling?). The stream keeps records 24 hours; after that they are lost. Check the function's log and errors."
      }
      "stream-errors" = {
        namespace   = "AWS/Lambda"
        metric      = "Errors"
        dimensions  = { FunctionName = local.stream_function_name }
        statistic   = "Sum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "The stream function crashed; Lambda retries and bisects the batch. Read its log."
      }
      "status-events-failed" = {
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = "${var.name}-status-events-failed" }
        statistic   = "Maximum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "Status-change events of some table changes could not be published after every retry: each message in the queue names a shard and a sequence-number range. Read them from the stream within 24 hours (or the items from the table) and publish them again."
      }
    },
    {
      for name, _ in local.webhooks : "webhook-${name}-dead-letters" => {
        namespace   = "AWS/SQS"
        metric      = "ApproximateNumberOfMessagesVisible"
        dimensions  = { QueueName = "${var.name}-webhook-${name}-dlq" }
        statistic   = "Maximum"
        extended    = null
        comparison  = "GreaterThanThreshold"
        threshold   = 0
        description = "EventBridge gave up delivering some events to the ${name} webhook (its retries and maximum age ran out): they are in its dead-letter queue, with the reason in their attributes. Fix the endpoint or its credentials, then send them again."
      }
    },
  )
  stream_alarm_names = ["stream-iterator-age", "stream-errors", "status-events-failed"]
  metric_alarms = {
    for name, alarm in local.all_metric_alarms : name => alarm
    if local.alarms_enabled && (local.status_events || !contains(local.stream_alarm_names, name))
  }

  # Per recipient, over an hour: what the transform wrote, by channel and status.
  recipient_metric = {
    namespace = var.metrics_namespace
    name      = "recipient_events"
  }
}

resource "aws_cloudwatch_metric_alarm" "metric" {
  for_each = local.metric_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  extended_statistic  = each.value.extended
  period              = 300
  evaluation_periods  = 1
  comparison_operator = each.value.comparison
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

################################################################################
# messages-failed: records that need a person
#
# With healing, a message the transform could not write is a retry scheduled,
# not a person's work: the alarm watches what is left after healing (records
# given up after the last attempt, error objects the heal function cannot
# read, notifications in its dead-letter queue) and a heal queue whose oldest
# notification has waited past the give-up time (the function cannot poll).
# Without healing, every message the transform could not write.
################################################################################

locals {
  # Past this age, the oldest notification in the heal queue was never handled: no
  # notification lives longer while the function receives them.
  heal_stuck_seconds = local.heal_give_up_seconds + var.heal_retry_interval_seconds
  # Metric query id => the metric it reads.
  messages_failed_metrics = local.heal_enabled ? {
    given_up     = { namespace = var.metrics_namespace, name = "records_given_up", dimensions = { service = local.heal_function_name }, stat = "Sum" }
    unreadable   = { namespace = var.metrics_namespace, name = "objects_unreadable", dimensions = { service = local.heal_function_name }, stat = "Sum" }
    dead_letters = { namespace = "AWS/SQS", name = "ApproximateNumberOfMessagesVisible", dimensions = { QueueName = local.heal_dead_letter_queue_name }, stat = "Maximum" }
    oldest       = { namespace = "AWS/SQS", name = "ApproximateAgeOfOldestMessage", dimensions = { QueueName = local.heal_queue_name }, stat = "Maximum" }
    } : {
    failed = { namespace = var.metrics_namespace, name = "messages_failed", dimensions = { service = local.transform_service }, stat = "Sum" }
  }
  messages_failed_expression = (
    local.heal_enabled
    ? "FILL(given_up, 0) + FILL(unreadable, 0) + FILL(dead_letters, 0) + IF(FILL(oldest, 0) > ${local.heal_stuck_seconds}, 1, 0)"
    : "FILL(failed, 0)"
  )
  messages_failed_description = (
    local.heal_enabled
    ? "Failed records need a person. The heal function gave up on some after ${var.heal_max_attempts} attempts over ${floor(local.heal_give_up_seconds / 60)} minutes (DynamoDB kept failing: their objects stay in errors/processing-failed/, their notifications in the ${local.heal_dead_letter_queue_name} queue), could not read an error object, or has not received the ${local.heal_queue_name} queue's notifications for ${floor(local.heal_stuck_seconds / 60)} minutes (check its log, role and key). Once DynamoDB is healthy, replay errors/processing-failed/ with `msgstatus replay`, then purge the dead-letter queue. Records the heal function healed never raise this."
    : "The transform could not write some messages (DynamoDB errors or throttling past its retries): their records are in errors/ (healing is off). Check DynamoDB, then replay errors/ with `msgstatus replay`."
  )
}

resource "aws_cloudwatch_metric_alarm" "messages_failed" {
  count = local.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-messages-failed"
  alarm_description   = local.messages_failed_description
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "needs_a_person"
    expression  = local.messages_failed_expression
    label       = local.heal_enabled ? "records and objects left for a person" : "messages failed"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.messages_failed_metrics

    content {
      id = metric_query.key
      metric {
        namespace   = metric_query.value.namespace
        metric_name = metric_query.value.name
        dimensions  = metric_query.value.dimensions
        stat        = metric_query.value.stat
        period      = 300
      }
    }
  }
}

# It was one of the single-metric alarms above up to 0.1.0.
moved {
  from = aws_cloudwatch_metric_alarm.metric["messages-failed"]
  to   = aws_cloudwatch_metric_alarm.messages_failed[0]
}

################################################################################
# Alarms computed with metric math
################################################################################

resource "aws_cloudwatch_metric_alarm" "api_5xx_rate" {
  count = local.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-api-5xx-rate"
  alarm_description   = "More than ${local.thresholds.api_5xx_percent}% of API requests answered 5xx: the query function crashed or could not read the table in time (503). Check query-errors and the DynamoDB alarms."
  comparison_operator = "GreaterThanThreshold"
  threshold           = local.thresholds.api_5xx_percent
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "rate"
    expression  = "IF(requests > 0, 100 * errors / requests, 0)"
    label       = "5xx, % of requests"
    return_data = true
  }

  metric_query {
    id = "errors"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "5xx"
      dimensions  = { ApiId = aws_apigatewayv2_api.this[0].id }
      stat        = "Sum"
      period      = 300
    }
  }

  metric_query {
    id = "requests"
    metric {
      namespace   = "AWS/ApiGateway"
      metric_name = "Count"
      dimensions  = { ApiId = aws_apigatewayv2_api.this[0].id }
      stat        = "Sum"
      period      = 300
    }
  }
}

locals {
  # Alarms on the sum of several DynamoDB metrics of the table: name suffix => settings;
  # each metric is query id => its name and the dimensions besides TableName.
  dynamodb_alarms = local.alarms_enabled ? {
    "dynamodb-throttles" = {
      description = "DynamoDB throttled reads or writes of the table or an index (a status or a recipient so hot that one partition saturates). Writes are retried, then their records go to errors/${local.failed_records_fate}. For the outcome index raise search_shards."
      sum_id      = "throttled"
      label       = "throttle events"
      metrics = merge(
        {
          table_reads  = { name = "ReadThrottleEvents", dimensions = {} }
          table_writes = { name = "WriteThrottleEvents", dimensions = {} }
        },
        {
          for index in local.table_indexes : "index_${index}" => {
            name       = "WriteThrottleEvents"
            dimensions = { GlobalSecondaryIndexName = index }
          }
        },
      )
    }
    "dynamodb-system-errors" = {
      description = "DynamoDB answered 500s to the module's calls. They are retried; lasting ones send records to errors/ and answer API callers 503. Check the AWS Health Dashboard${local.failed_records_fate}."
      sum_id      = "errors"
      label       = "system errors"
      metrics = {
        for operation in ["GetItem", "PutItem", "BatchGetItem", "BatchWriteItem", "Query"] :
        lower(operation) => { name = "SystemErrors", dimensions = { Operation = operation } }
      }
    }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "dynamodb" {
  for_each = local.dynamodb_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = each.value.sum_id
    expression  = "SUM(METRICS())"
    label       = each.value.label
    return_data = true
  }

  dynamic "metric_query" {
    for_each = each.value.metrics

    content {
      id = metric_query.key
      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = metric_query.value.name
        dimensions  = merge({ TableName = aws_dynamodb_table.this[0].name }, metric_query.value.dimensions)
        stat        = "Sum"
        period      = 300
      }
    }
  }
}

locals {
  # Suppression lists whose suppressed sends SES counts in its own bounce rate, and
  # those it leaves out of it (message_status.model.COUNTS_IN_SES_BOUNCE_RATE: the
  # account list "does not count toward your bounce rate metric", SES Developer
  # Guide, Bounce types; the global list counts, AWS Knowledge Center; a tenant's own
  # list is taken as its account list). A test keeps these in step with the model.
  suppression_lists_in_bounce_rate     = ["global"]
  suppression_lists_out_of_bounce_rate = ["account", "tenant"]

  # End User Messaging channels: failures over outcomes (a delivery or a failure),
  # each with its threshold and its usual causes.
  phone_failure_alarms = {
    sms = {
      noun      = "SMS"
      threshold = local.thresholds.sms_failure_rate_percent
      causes    = "a carrier outage, blocked numbers or a country, or a spent budget"
    }
    mms = {
      noun      = "MMS"
      threshold = local.thresholds.mms_failure_rate_percent
      causes    = "media files the service cannot read, too large or of an unsupported type, blocked numbers, a carrier outage"
    }
    voice = {
      noun      = "voice calls"
      threshold = local.thresholds.voice_failure_rate_percent
      causes    = "busy and unanswered calls are failures and common, so a rise above the usual says numbers are wrong or calls are blocked"
    }
  }

  # name => the channel, the statuses over the statuses (recipient_events), the
  # suppression lists added to the numerator or taken out of the denominator
  # (suppressed_recipients), the threshold and what to do.
  rate_alarms = local.alarms_enabled ? merge({
    "email-bounce-rate" = {
      channel        = "email"
      numerator      = ["HARD_BOUNCED"]
      denominator    = ["SENT"]
      add_suppressed = local.suppression_lists_in_bounce_rate
      not_sent       = local.suppression_lists_out_of_bounce_rate
      threshold      = local.thresholds.email_bounce_rate_percent
      description    = "Over ${local.thresholds.email_bounce_rate_percent}% of email recipients hard-bounced in the last hour, counted as SES counts its bounce rate: sends to addresses on the account's or a tenant's suppression list count neither way, sends to the global list count as bounces. Amazon SES reviews an account at 5% and may pause its sending at 10%: stop the sending job that causes it (a list import?), suppress the bounced addresses (GET /messages?status=HARD_BOUNCED), check the SES account dashboard."
    }
    "email-complaint-rate" = {
      channel        = "email"
      numerator      = ["COMPLAINED"]
      denominator    = ["SENT"]
      add_suppressed = []
      not_sent       = []
      threshold      = local.thresholds.email_complaint_rate_percent
      description    = "Over ${local.thresholds.email_complaint_rate_percent}% of email recipients complained in the last hour. Amazon SES reviews an account at 0.1% and may pause its sending at 0.5%: stop the campaign, suppress the complainers (GET /messages?status=COMPLAINED), check opt-in and unsubscribe links."
    }
    }, {
    for channel, alarm in local.phone_failure_alarms : "${channel}-failure-rate" => {
      channel        = channel
      numerator      = ["FAILED"]
      denominator    = ["DELIVERED", "FAILED"]
      add_suppressed = []
      not_sent       = []
      threshold      = alarm.threshold
      description    = "Over ${alarm.threshold}% of ${alarm.noun} that reached an outcome in the last hour failed: ${alarm.causes}. See the reasons (record_status) of GET /messages?status=FAILED&channel=${channel}."
    }
  }) : {}
}

resource "aws_cloudwatch_metric_alarm" "rate" {
  for_each = local.rate_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  comparison_operator = "GreaterThanThreshold"
  threshold           = each.value.threshold
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id = "rate"
    # An hour with fewer recipients than the minimum raises nothing: 1 bounce in 10 is
    # noise. Suppression counts are often absent: FILL makes an absent one 0.
    expression = format(
      "IF(%s >= %s, 100 * (%s) / (%s), 0)",
      join(" - ", concat([join(" + ", [for s in each.value.denominator : lower(s)])], [for l in each.value.not_sent : "FILL(x_${l}, 0)"])),
      local.thresholds.minimum_recipients_for_a_rate,
      join(" + ", concat([for s in each.value.numerator : "n_${lower(s)}"], [for l in each.value.add_suppressed : "FILL(s_${l}, 0)"])),
      join(" - ", concat([join(" + ", [for s in each.value.denominator : lower(s)])], [for l in each.value.not_sent : "FILL(x_${l}, 0)"])),
    )
    label       = "% of recipients"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = merge(
      { for s in each.value.numerator : "n_${lower(s)}" => s },
      { for s in each.value.denominator : lower(s) => s },
    )

    content {
      id = metric_query.key
      metric {
        namespace   = local.recipient_metric.namespace
        metric_name = local.recipient_metric.name
        dimensions  = { channel = each.value.channel, status = metric_query.value, service = local.transform_service }
        stat        = "Sum"
        period      = 3600
      }
    }
  }

  # Recipients SES declined to send to, per suppression list (suppressed_recipients).
  dynamic "metric_query" {
    for_each = merge(
      { for l in each.value.add_suppressed : "s_${l}" => l },
      { for l in each.value.not_sent : "x_${l}" => l },
    )

    content {
      id = metric_query.key
      metric {
        namespace   = var.metrics_namespace
        metric_name = "suppressed_recipients"
        dimensions  = { list = metric_query.value, service = local.transform_service }
        stat        = "Sum"
        period      = 3600
      }
    }
  }
}

################################################################################
# Notifications: an SNS topic for email subscriptions, when asked for
################################################################################

# A key of the topic's own, whatever kms_key_arn is: CloudWatch cannot publish to a
# topic under the AWS-managed SNS key, and a caller's key policy rarely lets it.
resource "aws_kms_key" "alarms" {
  count = local.alarm_topic ? 1 : 0

  description         = "Encrypts the ${var.name} alarm topic, so that CloudWatch alarms can publish to it."
  enable_key_rotation = true
  policy              = data.aws_iam_policy_document.alarm_key[0].json
  tags                = var.tags
}

data "aws_iam_policy_document" "alarm_key" {
  #checkov:skip=CKV_AWS_111:A key policy's resource "*" is the key it is attached to; writes are limited to the account root and to CloudWatch from this account.
  #checkov:skip=CKV_AWS_356:A key policy's resource "*" is the key it is attached to, not every resource.
  #checkov:skip=CKV_AWS_109:The account root administers its own key, as AWS's default key policy does; IAM then decides who in the account may.
  count = local.alarm_topic ? 1 : 0

  # The account administers the key through IAM, as with any key.
  statement {
    sid       = "AccountAdministersTheKey"
    actions   = ["kms:*"]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }

  statement {
    sid       = "CloudWatchPublishesAlarms"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"] # in a key policy, "*" is this key

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sns_topic" "alarms" {
  count = local.alarm_topic ? 1 : 0

  name              = "${var.name}-alarms"
  kms_master_key_id = aws_kms_key.alarms[0].arn
  tags              = var.tags
}

data "aws_iam_policy_document" "alarm_topic" {
  count = local.alarm_topic ? 1 : 0

  statement {
    sid       = "CloudWatchAlarmsOfThisModulePublish"
    actions   = ["sns:Publish"]
    resources = [aws_sns_topic.alarms[0].arn]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:cloudwatch:${local.region}:${local.account_id}:alarm:${var.name}-*"]
    }
  }
}

resource "aws_sns_topic_policy" "alarms" {
  count = local.alarm_topic ? 1 : 0

  arn    = aws_sns_topic.alarms[0].arn
  policy = data.aws_iam_policy_document.alarm_topic[0].json
}

resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = local.alarm_topic ? toset(var.alarms.email_subscriptions) : toset([])

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
}
