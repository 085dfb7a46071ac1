################################################################################
# Status-change events: the table's stream -> the stream function -> EventBridge
#
# Published from the table's change stream, never from the transform after its
# write: a crash between the two would lose the event. Each stream record is
# retried until its event is put (the function reports the records it could not
# publish), bisected on error, and after stream_maximum_retry_attempts the
# batch's description goes to the on-failure queue.
################################################################################

locals {
  status_events         = local.create && (var.status_events_enabled || length(var.webhooks) > 0)
  stream_function_name  = "${var.name}-stream"
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

resource "aws_cloudwatch_log_group" "stream" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  count = local.status_events ? 1 : 0

  name              = "/aws/lambda/${local.stream_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
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

resource "aws_lambda_function" "stream" {
  #checkov:skip=CKV_AWS_116:An event-source mapping invokes the function synchronously; its failures go to the mapping's on-failure destination (the stream_failures queue), a DLQ only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:A VPC is opt-in through lambda_vpc_config; the function only calls DynamoDB Streams, EventBridge, CloudWatch and X-Ray public endpoints.
  #checkov:skip=CKV_AWS_272:Code is the reviewed, reproducibly built dist/stream.zip shipped with the module; signing is left to callers who repackage it.
  #checkov:skip=CKV_AWS_115:The stream's shards bound the function's concurrency (one invocation per shard at a time).
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (bus name, event source, log settings); with kms_key_arn set, it is encrypted with the customer-managed key.
  count = local.status_events ? 1 : 0

  function_name    = local.stream_function_name
  description      = "Publishes a Message Status Changed event on EventBridge for each change of a message's status."
  role             = aws_iam_role.stream[0].arn
  handler          = "app.lambda_handler"
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  memory_size      = var.stream_memory_mb
  timeout          = var.stream_timeout_seconds
  filename         = "${path.module}/dist/stream.zip"
  source_code_hash = filebase64sha256("${path.module}/dist/stream.zip")
  layers           = local.powertools_layers
  kms_key_arn      = var.kms_key_arn
  tags             = var.tags

  environment {
    variables = merge(local.lambda_environment_common, {
      EVENT_BUS_NAME           = local.status_event_bus_name
      EVENT_SOURCE             = var.event_source
      POWERTOOLS_SERVICE_NAME  = "${var.name}-stream"
      FUNCTION_TIMEOUT_SECONDS = tostring(var.stream_timeout_seconds)
    })
  }

  tracing_config {
    mode = "Active"
  }

  dynamic "vpc_config" {
    for_each = var.lambda_vpc_config == null ? [] : [var.lambda_vpc_config]

    content {
      subnet_ids         = vpc_config.value.subnet_ids
      security_group_ids = vpc_config.value.security_group_ids
    }
  }

  depends_on = [
    aws_cloudwatch_event_bus.this,
    aws_cloudwatch_log_group.stream,
    aws_iam_role_policy.stream,
  ]
}

resource "aws_lambda_event_source_mapping" "stream" {
  count = local.status_events ? 1 : 0

  event_source_arn = aws_dynamodb_table.this[0].stream_arn
  function_name    = aws_lambda_function.stream[0].arn
  # From the stream's start: changes written before the mapping was enabled still count.
  starting_position                  = "TRIM_HORIZON"
  batch_size                         = var.stream_batch_size
  maximum_batching_window_in_seconds = 1
  parallelization_factor             = 1 # one message's changes stay in order within their shard
  function_response_types            = ["ReportBatchItemFailures"]
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = var.stream_maximum_retry_attempts
  maximum_record_age_in_seconds      = -1 # until the stream drops it (24 hours)

  # Message items only: pointer items (no "src") and TTL removals publish
  # nothing, so they never invoke the function.
  filter_criteria {
    filter {
      pattern = jsonencode({
        eventName = ["INSERT", "MODIFY"]
        dynamodb  = { NewImage = { src = { S = [{ exists = true }] } } }
      })
    }
  }

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.stream_failures[0].arn
    }
  }
}

################################################################################
# The stream function's role: read the stream, put events on one bus, report
# failures to one queue
################################################################################

resource "aws_iam_role" "stream" {
  count = local.status_events ? 1 : 0

  name                 = "${local.role_name_prefix}-stream"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Execution role of the ${local.stream_function_name} Lambda function."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "stream" {
  count = local.status_events ? 1 : 0

  source_policy_documents = [data.aws_iam_policy_document.function_basics["stream"].json]

  statement {
    sid = "ReadTheTableStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]
    resources = [aws_dynamodb_table.this[0].stream_arn]
  }

  # Lambda lists the table's streams when it starts polling; ListStreams
  # supports no resource-level permission.
  statement {
    sid       = "FindTheTableStream"
    actions   = ["dynamodb:ListStreams"]
    resources = ["*"]
  }

  statement {
    sid       = "PublishStatusChanges"
    actions   = ["events:PutEvents"]
    resources = [local.status_event_bus_arn]
  }

  statement {
    sid       = "ReportUnpublishedBatches"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.stream_failures[0].arn]
  }

}

resource "aws_iam_role_policy" "stream" {
  count = local.status_events ? 1 : 0

  name   = "status-events-publish"
  role   = aws_iam_role.stream[0].id
  policy = data.aws_iam_policy_document.stream[0].json
}
