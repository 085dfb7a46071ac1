################################################################################
# The module's functions: one definition, one stack each (function, log group,
# execution role, policy), driven by for_each over this map. What differs
# between them is here; what they share is written once, below and in iam.tf.
################################################################################

locals {
  # What every function that writes the table reads to shape an item the same way
  # (message_status.settings.item_settings; SEARCH_SHARDS is every function's).
  item_writer_environment = local.create ? merge({
    TABLE_NAME     = aws_dynamodb_table.this[0].name
    RETENTION_DAYS = tostring(var.message_retention_days)
  }, var.correlation_key == null ? {} : { CORRELATION_KEY = var.correlation_key }) : {}

  functions = merge(
    local.create ? {
      # Firehose's processor: writes message records to the table.
      transform = {
        name                 = local.transform_function_name
        description          = "Turns Pinpoint, SES and SMS events from Firehose into message status records."
        zip                  = "${path.module}/dist/transform.zip"
        memory_mb            = var.transform_memory_mb
        timeout_seconds      = var.transform_timeout_seconds
        reserved_concurrency = var.transform_reserved_concurrency
        environment          = local.item_writer_environment
        kms_actions          = ["kms:Decrypt", "kms:GenerateDataKey"]
        # The services its code calls from a VPC (local.vpc_endpoint_services below).
        vpc_endpoints = ["dynamodb", "xray"]
        policy_name   = "message-records-read-write"
        # Read and write items, no Scan, no DeleteItem. BatchWriteItem: the
        # recipient pointer items, written once per recipient.
        statements = [
          {
            sid = "ReadAndWriteMessageRecords"
            actions = [
              "dynamodb:BatchGetItem",
              "dynamodb:BatchWriteItem",
              "dynamodb:GetItem",
              "dynamodb:PutItem",
            ]
            resources = [aws_dynamodb_table.this[0].arn]
          },
        ]
      }

      # Behind the HTTP API: reads message records.
      query = {
        name                 = local.query_function_name
        description          = "Answers the message status API: messages by id, searches, and recipients' pages."
        zip                  = "${path.module}/dist/query.zip"
        memory_mb            = var.query_memory_mb
        timeout_seconds      = var.query_timeout_seconds
        reserved_concurrency = var.query_reserved_concurrency
        environment = {
          TABLE_NAME = aws_dynamodb_table.this[0].name
        }
        kms_actions   = ["kms:Decrypt"] # it only reads
        vpc_endpoints = ["dynamodb", "email", "xray"]
        policy_name   = "message-records-read"
        # Read items and search the indexes, and read one address's entry on
        # SES's suppression list (the recipient page), nothing else.
        statements = [
          {
            sid       = "ReadMessageRecords"
            actions   = ["dynamodb:BatchGetItem", "dynamodb:GetItem"]
            resources = [aws_dynamodb_table.this[0].arn]
          },
          {
            sid       = "SearchTheIndexes"
            actions   = ["dynamodb:Query"]
            resources = [for index in local.table_indexes : "${aws_dynamodb_table.this[0].arn}/index/${index}"]
          },
          # The suppression list is no resource: SES's GetSuppressedDestination
          # supports no resource-level permission, so "*" only. Read-only, one
          # address at a time; the account's list or a tenant's (TenantName).
          {
            sid       = "ReadSuppressionList"
            actions   = ["ses:GetSuppressedDestination"]
            resources = ["*"]
          },
        ]
      }
    } : {},
    local.status_events ? {
      # Reads the table's stream and publishes status changes (events.tf).
      stream = {
        name                 = local.stream_function_name
        description          = "Publishes a Message Status Changed event on EventBridge for each change of a message's status."
        zip                  = "${path.module}/dist/stream.zip"
        memory_mb            = var.stream_memory_mb
        timeout_seconds      = var.stream_timeout_seconds
        reserved_concurrency = var.stream_reserved_concurrency
        environment = {
          EVENT_BUS_NAME = local.status_event_bus_name
          EVENT_SOURCE   = var.event_source
        }
        # The stream's records, the failure queue's messages and a created bus's events.
        kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"]
        # Lambda itself reads the stream and sends to the failure queue, outside the VPC.
        vpc_endpoints = ["events", "xray"]
        policy_name   = "status-events-publish"
        # Read the stream, put events on one bus, report failures to one queue.
        statements = [
          {
            sid = "ReadTheTableStream"
            actions = [
              "dynamodb:DescribeStream",
              "dynamodb:GetRecords",
              "dynamodb:GetShardIterator",
            ]
            resources = [aws_dynamodb_table.this[0].stream_arn]
          },
          # Lambda lists the table's streams when it starts polling; ListStreams
          # supports no resource-level permission.
          {
            sid       = "FindTheTableStream"
            actions   = ["dynamodb:ListStreams"]
            resources = ["*"]
          },
          {
            sid       = "PublishStatusChanges"
            actions   = ["events:PutEvents"]
            resources = [local.status_event_bus_arn]
          },
          {
            sid       = "ReportUnpublishedBatches"
            actions   = ["sqs:SendMessage"]
            resources = [aws_sqs_queue.stream_failures[0].arn]
          },
        ]
      }
    } : {},
    local.heal_enabled ? {
      # Heals the records the transform failed on a transient store fault (heal.tf).
      heal = {
        name                 = local.heal_function_name
        description          = "Writes the records the transform failed on a transient DynamoDB fault from the archive's errors/ to the table."
        zip                  = "${path.module}/dist/heal.zip"
        memory_mb            = var.heal_memory_mb
        timeout_seconds      = var.heal_timeout_seconds
        reserved_concurrency = var.heal_reserved_concurrency
        # The transform's item settings (the same items), the bucket, and the last attempt.
        environment = merge(local.item_writer_environment, {
          ARCHIVE_BUCKET    = local.archive_bucket_name
          HEAL_MAX_ATTEMPTS = tostring(var.heal_max_attempts)
        })
        # The queue's messages, the archive's objects and the table's items.
        kms_actions = ["kms:Decrypt", "kms:GenerateDataKey"]
        # Lambda itself polls the heal queue, outside the VPC; the code calls the
        # table and the archive bucket.
        vpc_endpoints = ["dynamodb", "s3", "xray"]
        policy_name   = "failed-records-heal"
        statements = [
          # As the transform: read and write items, no Scan, no DeleteItem.
          {
            sid = "ReadAndWriteMessageRecords"
            actions = [
              "dynamodb:BatchGetItem",
              "dynamodb:BatchWriteItem",
              "dynamodb:GetItem",
              "dynamodb:PutItem",
            ]
            resources = [aws_dynamodb_table.this[0].arn]
          },
          # Read an error object, then delete it, or replace it by its unread rest (an
          # object too large for one invocation), each only as it was when notified
          # (If-Match, which S3 authorizes with s3:GetObject too).
          {
            sid       = "HealFailedRecords"
            actions   = ["s3:DeleteObject", "s3:GetObject", "s3:PutObject"]
            resources = ["${local.archive_bucket_arn}/${local.heal_source_prefix}*"]
          },
          # Healed records' archive lines beside the transform's, and what can never be
          # stored under errors/parked/: write only, never read or delete.
          {
            sid     = "ArchiveHealedRecordsAndParkPoison"
            actions = ["s3:PutObject"]
            resources = [
              "${local.archive_bucket_arn}/${local.heal_archive_prefix}*",
              "${local.archive_bucket_arn}/${local.heal_parked_prefix}*",
            ]
          },
          # S3 answers a GetObject of a missing key with 404 only to a caller that may
          # list the bucket, and 403 otherwise: without this, an object already healed
          # (S3 notifies at least once) would look like a permission failure.
          {
            sid       = "TellHealedObjectsFromDeniedOnes"
            actions   = ["s3:ListBucket"]
            resources = [local.archive_bucket_arn]
          },
          # What Lambda's SQS poller does with the function's role.
          {
            sid = "ReceiveFailedRecordNotifications"
            actions = [
              "sqs:DeleteMessage",
              "sqs:GetQueueAttributes",
              "sqs:ReceiveMessage",
            ]
            resources = [aws_sqs_queue.heal[0].arn]
          },
        ]
      }
    } : {},
  )
}

# With lambda_vpc_config, the services each function's code reaches from the
# subnets, as VPC endpoint service names (output vpc_endpoint_services): its
# boto3 clients, and X-Ray, which its active tracing sends segments to. What
# Lambda does for a function happens outside the VPC: delivering its logs (and
# the metrics written in them), reading the table's stream and polling the heal
# queue for the event-source mappings, sending a failed batch's description to
# the on-failure queue, and decrypting its environment.
locals {
  vpc_endpoint_services = {
    for key, function in local.functions : key => [
      for service in function.vpc_endpoints :
      "${data.aws_partition.current.reverse_dns_prefix}.${local.region}.${service}"
    ]
  }
}

# Moved from one written-out stack per function (up to 0.1.0 for transform and
# query, and the stream function in events.tf) to the map above.
moved {
  from = aws_lambda_function.transform[0]
  to   = aws_lambda_function.this["transform"]
}

moved {
  from = aws_lambda_function.query[0]
  to   = aws_lambda_function.this["query"]
}

moved {
  from = aws_lambda_function.stream[0]
  to   = aws_lambda_function.this["stream"]
}

moved {
  from = aws_cloudwatch_log_group.transform[0]
  to   = aws_cloudwatch_log_group.function["transform"]
}

moved {
  from = aws_cloudwatch_log_group.query[0]
  to   = aws_cloudwatch_log_group.function["query"]
}

moved {
  from = aws_cloudwatch_log_group.stream[0]
  to   = aws_cloudwatch_log_group.function["stream"]
}

################################################################################
# Log groups: created by the module so that retention and encryption apply
# from the first invocation
################################################################################

resource "aws_cloudwatch_log_group" "function" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  for_each = local.functions

  name              = "/aws/lambda/${each.value.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

################################################################################
# Functions
################################################################################

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_116:Every function is invoked synchronously, where a DLQ does not apply: transform by Firehose, which retries and routes failed records to the errors/ prefix itself; query by API Gateway, which returns errors to the caller; stream by an event-source mapping, whose failures go to its on-failure destination (the stream_failures queue); heal by an SQS mapping, whose queue's redrive policy sends what fails to its dead-letter queue.
  #checkov:skip=CKV_AWS_117:A VPC is opt-in through lambda_vpc_config; the functions only call DynamoDB, DynamoDB Streams, EventBridge, SES (the query's suppression lookup), S3 (the heal function's error objects), CloudWatch and X-Ray public endpoints, so by default a VPC would add NAT cost and no protection.
  #checkov:skip=CKV_AWS_272:Code is the reviewed, reproducibly built dist/<function>.zip shipped with the module; signing is left to callers who repackage it.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is opt-in through <function>_reserved_concurrency, and each caller bounds its function's concurrency already: Firehose invokes its processor about once per shard-equivalent, the API stage's throttling (api_throttling_*) sits in front of query, the table stream's shards bound stream (one invocation per shard at a time), and the heal queue's mapping runs heal at most 5 at a time (scaling_config).
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (table and bucket names, retention, bus name, event source, attempts, log settings); with kms_key_arn set, it is encrypted with the customer-managed key.
  for_each = local.functions

  function_name                  = each.value.name
  description                    = each.value.description
  role                           = aws_iam_role.function[each.key].arn
  handler                        = "app.lambda_handler"
  runtime                        = var.lambda_runtime
  architectures                  = [var.lambda_architecture]
  memory_size                    = each.value.memory_mb
  timeout                        = each.value.timeout_seconds
  reserved_concurrent_executions = coalesce(each.value.reserved_concurrency, -1)
  filename                       = each.value.zip
  source_code_hash               = filebase64sha256(each.value.zip)
  layers                         = local.powertools_layers
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = merge(local.lambda_environment_common, each.value.environment, {
      POWERTOOLS_SERVICE_NAME = each.value.name
      # The code sizes its SDK timeouts and retries to fit this.
      FUNCTION_TIMEOUT_SECONDS = tostring(each.value.timeout_seconds)
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

  # The stream function publishes to a bus the module may create.
  depends_on = [
    aws_cloudwatch_event_bus.this,
    aws_cloudwatch_log_group.function,
    aws_iam_role_policy.function,
  ]
}

resource "aws_lambda_permission" "api" {
  count = local.create ? 1 : 0

  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this["query"].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*"
}
