################################################################################
# Status-change events: the table's stream -> the stream function -> EventBridge
#
# Published from the table's change stream, never from the transform after its
# write: a crash between the two would lose the event. Each stream record is
# retried until its event is put (the function reports the records it could not
# publish), bisected on error, and after stream_maximum_retry_attempts the
# batch's description goes to the on-failure queue. The stream function itself,
# its log group and its role are in local.functions (lambda.tf, iam.tf).
################################################################################

locals {
  status_events         = local.create && (var.status_events_enabled || length(var.webhooks) > 0)
  status_event_bus_name = var.event_bus_name # created below when create_event_bus
  # Built from its parts, so that the webhooks' trust policies can name rules on it.
  status_event_bus_arn = (
    var.event_bus_name == "default"
    ? "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"
    : "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${var.event_bus_name}"
  )
  status_event_detail_type = "Message Status Changed"
}

resource "aws_cloudwatch_event_bus" "this" {
  count = local.status_events && var.create_event_bus ? 1 : 0

  name               = var.event_bus_name
  kms_key_identifier = var.kms_key_arn
  tags               = var.tags

  lifecycle {
    precondition {
      condition     = var.event_bus_name != "default"
      error_message = "create_event_bus needs an event_bus_name other than \"default\" (the account's default bus always exists)."
    }
  }
}

# What Lambda could not get published after every retry: the description of the
# batch (shard, sequence numbers), from which the records can be read again
# while the stream keeps them (24 hours).
resource "aws_sqs_queue" "stream_failures" {
  count = local.status_events ? 1 : 0

  name                              = "${var.name}-status-events-failed"
  message_retention_seconds         = 1209600 # 14 days, SQS's longest
  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_enabled ? 300 : null
  tags                              = var.tags
}

resource "aws_lambda_event_source_mapping" "stream" {
  count = local.status_events ? 1 : 0

  event_source_arn = aws_dynamodb_table.this[0].stream_arn
  function_name    = aws_lambda_function.this["stream"].arn
  # From the stream's start: changes written before the mapping was enabled still count.
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.stream_batch_size
  maximum_batching_window_in_seconds = 1
  parallelization_factor             = 1 # one message's changes stay in order within their shard
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.stream_maximum_retry_attempts
  maximum_record_age_in_seconds      = -1 # until the stream drops it (24 hours)

  # Message items only: pointer items (no "src"), TTL removals and the quiet
  # writes of `msgstatus backfill` (a "q" marker: changes.py) publish nothing,
  # so they never invoke the function. "exists" tests a leaf, hence q's type N
  # ("Using the Exists operator", Lambda's DynamoDB filtering guide). Every
  # write is a whole PutItem, so a live write after a backfill has no "q"; the
  # function itself also skips a record whose marker is its version.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT", "MODIFY"]
        dynamodb = {
          NewImage = {
            src = { S = [{ exists = true }] }
            q   = { N = [{ exists = false }] }
          }
        }
      })
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures[0].arn
    }
  }
}
