################################################################################
# Healing: records the transform failed because the table had a bad minute
# reach it without a person
#
# Firehose writes the records its processor failed to errors/processing-failed/
# in the archive bucket. The bucket notifies the heal queue of each such
# object; the queue holds the notification back heal_delay_seconds (a
# transient fault clears), then Lambda hands it to the heal function, which
# writes the object's records through the transform's store, archives them
# under events/, parks what can never be stored under errors/parked/ and
# removes the object. While the store still fails, the function returns the
# message, SQS delivers it again after heal_retry_interval_seconds, and after
# heal_max_attempts receives moves it to the dead-letter queue: the object
# stays in errors/ for `msgstatus replay`, and the messages-failed alarm fires.
#
# Why not fail the transform's invocation instead: Firehose documents retries
# of its processor only for network timeouts and invocation limits, not for a
# function error, and a batch that runs out of retries goes to errors/ whole
# (lambda_src/message_status/heal.py). The heal function itself, its log group
# and its role are in local.functions (lambda.tf, iam.tf).
################################################################################

locals {
  heal_enabled = local.create && var.heal_enabled

  # What the heal function reads, and where it writes (message_status.heal's
  # SOURCE_PREFIX, PARKED_PREFIX and ARCHIVE_PREFIX: a test keeps them in step).
  heal_source_prefix  = "errors/processing-failed/"
  heal_parked_prefix  = "errors/parked/"
  heal_archive_prefix = "events/"

  heal_queue_name             = "${var.name}-heal"
  heal_dead_letter_queue_name = "${var.name}-heal-dead-letters"
  # A notification's first attempt comes after the delay, each retry one interval after
  # the attempt before: it is given up this long after the object was written.
  heal_give_up_seconds = var.heal_delay_seconds + var.heal_max_attempts * var.heal_retry_interval_seconds
  # Objects healed at once: enough for a burst of error objects, gentle on a table that is
  # recovering; never more than a reservation allows, so that no poll is throttled (a
  # throttled poll counts as a receive).
  heal_maximum_concurrency = min(coalesce(var.heal_reserved_concurrency, 5), 5)
}

# What was given up: each message names the object (its S3 notification).
resource "aws_sqs_queue" "heal_dead_letters" {
  count = local.heal_enabled ? 1 : 0

  name                              = local.heal_dead_letter_queue_name
  message_retention_seconds         = 1209600 # 14 days, SQS's longest
  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_enabled ? 300 : null
  tags                              = var.tags
}

resource "aws_sqs_queue" "heal" {
  count = local.heal_enabled ? 1 : 0

  name                       = local.heal_queue_name
  delay_seconds              = var.heal_delay_seconds
  visibility_timeout_seconds = var.heal_retry_interval_seconds
  # Far longer than any notification is kept (heal_give_up_seconds): a message that
  # nothing receives (the function cannot poll) waits, and the alarm says so.
  message_retention_seconds         = 1209600
  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_enabled ? 300 : null
  tags                              = var.tags

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.heal_dead_letters[0].arn
    maxReceiveCount     = var.heal_max_attempts
  })

  lifecycle {
    precondition {
      # Lambda refuses a mapping whose queue's visibility timeout is shorter than the
      # function's timeout ("Creating and configuring an Amazon SQS event source mapping").
      condition     = var.heal_retry_interval_seconds >= var.heal_timeout_seconds
      error_message = "heal_retry_interval_seconds (the heal queue's visibility timeout) must be at least heal_timeout_seconds: Lambda refuses a queue whose visibility timeout is shorter than its function's timeout."
    }
  }
}

# Only the heal queue may send its messages to the dead-letter queue.
resource "aws_sqs_queue_redrive_allow_policy" "heal_dead_letters" {
  count = local.heal_enabled ? 1 : 0

  queue_url = aws_sqs_queue.heal_dead_letters[0].id
  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.heal[0].arn]
  })
}

# S3 may send this bucket's notifications, and nothing else may send
# ("Granting permissions to publish event notification messages to a
# destination", Amazon S3 User Guide).
data "aws_iam_policy_document" "heal_queue" {
  count = local.heal_enabled ? 1 : 0

  statement {
    sid       = "ArchiveBucketNotifiesFailedRecords"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.heal[0].arn]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.archive_bucket_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }
  }
}

resource "aws_sqs_queue_policy" "heal" {
  count = local.heal_enabled ? 1 : 0

  queue_url = aws_sqs_queue.heal[0].id
  policy    = data.aws_iam_policy_document.heal_queue[0].json
}

# The bucket's one notification configuration: every object created under
# errors/processing-failed/ (by Firehose, or by the heal function carrying the
# rest of an object over). S3 checks the queue's policy (and, with
# kms_key_arn, that it may use the key) when this is created.
resource "aws_s3_bucket_notification" "archive" {
  count = local.heal_enabled ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id

  queue {
    id            = "heal-failed-records"
    queue_arn     = aws_sqs_queue.heal[0].arn
    events        = ["s3:ObjectCreated:*"]
    filter_prefix = local.heal_source_prefix
  }

  depends_on = [aws_sqs_queue_policy.heal]
}

resource "aws_lambda_event_source_mapping" "heal" {
  count = local.heal_enabled ? 1 : 0

  event_source_arn = aws_sqs_queue.heal[0].arn
  function_name    = aws_lambda_function.this["heal"].arn
  # One object per invocation, with all of the function's time.
  batch_size              = 1
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = local.heal_maximum_concurrency
  }

  # Lambda checks that the role may receive from the queue when the mapping is created.
  depends_on = [aws_iam_role_policy.function]
}
