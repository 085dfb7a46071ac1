################################################################################
# Kinesis Data Firehose: sources put events here; the transform turns them
# into message records, and the output lands in the archive bucket
#
# One delivery stream ("events") takes the sources' records directly. Each
# existing Kinesis data stream in var.kinesis_source_stream_arns gets a
# delivery stream of its own that reads it as one more consumer (Firehose
# uses the stream's shared read throughput and checkpoints itself), with the
# same processor, archive and error output: a record the transform cannot
# take lands in errors/, and Firehose reads the stream again after a failed
# delivery, so nothing is lost and the stream's other consumers keep theirs.
################################################################################

locals {
  # Delivery stream key (its name after "<name>-") => source Kinesis stream ARN, or null for the direct one.
  delivery_streams = local.create ? merge(
    { events = null },
    { for key, arn in var.kinesis_source_stream_arns : "kinesis-${key}" => arn },
  ) : {}

  # The streams the Firehose role may read, in one order for its policy.
  kinesis_source_stream_arns = sort(values(var.kinesis_source_stream_arns))
}

# The direct stream was a counted resource before Kinesis sources existed.
moved {
  from = aws_kinesis_firehose_delivery_stream.this[0]
  to   = aws_kinesis_firehose_delivery_stream.this["events"]
}

resource "aws_cloudwatch_log_group" "firehose" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  count = local.create ? 1 : 0

  name              = "/aws/kinesisfirehose/${local.delivery_stream_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_stream" "firehose_destination" {
  count = local.create ? 1 : 0

  name           = "DestinationDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose[0].name
}

resource "aws_cloudwatch_log_stream" "firehose_backup" {
  count = local.create && var.raw_backup_enabled ? 1 : 0

  name           = "BackupDelivery"
  log_group_name = aws_cloudwatch_log_group.firehose[0].name
}

resource "aws_kinesis_firehose_delivery_stream" "this" {
  #checkov:skip=CKV_AWS_241:Encrypted with an AWS-owned key by default; with kms_key_arn set, the customer-managed key is used.
  #checkov:skip=CKV_AWS_240:A stream with a Kinesis source cannot have server-side encryption of its own (Firehose refuses it); its records are encrypted by the source stream.
  for_each = local.delivery_streams

  name        = "${var.name}-${each.key}"
  destination = "extended_s3"
  tags        = var.tags

  dynamic "kinesis_source_configuration" {
    for_each = each.value == null ? [] : [each.value]

    content {
      kinesis_stream_arn = kinesis_source_configuration.value
      role_arn           = aws_iam_role.firehose[0].arn
    }
  }

  dynamic "server_side_encryption" {
    for_each = each.value == null ? [1] : []

    content {
      enabled  = true
      key_type = local.kms_enabled ? "CUSTOMER_MANAGED_CMK" : "AWS_OWNED_CMK"
      key_arn  = var.kms_key_arn
    }
  }

  extended_s3_configuration {
    role_arn            = aws_iam_role.firehose[0].arn
    bucket_arn          = aws_s3_bucket.archive[0].arn
    prefix              = "events/!{timestamp:yyyy/MM/dd}/"
    error_output_prefix = "errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
    buffering_interval  = var.archive_buffer_interval_seconds
    buffering_size      = var.archive_buffer_size_mb
    compression_format  = "GZIP"
    kms_key_arn         = var.kms_key_arn
    s3_backup_mode      = var.raw_backup_enabled ? "Enabled" : "Disabled"

    cloudwatch_logging_options {
      enabled         = true
      log_group_name  = aws_cloudwatch_log_group.firehose[0].name
      log_stream_name = aws_cloudwatch_log_stream.firehose_destination[0].name
    }

    processing_configuration {
      enabled = true

      processors {
        type = "Lambda"

        parameters {
          parameter_name  = "LambdaArn"
          parameter_value = "${aws_lambda_function.this["transform"].arn}:$LATEST"
        }

        # Firehose does not return a parameter that equals its default (60 s,
        # 1 MiB), so one is only sent when it differs; otherwise every plan
        # would show it being added again.
        dynamic "parameters" {
          for_each = var.processor_buffer_interval_seconds != 60 ? [tostring(var.processor_buffer_interval_seconds)] : []

          content {
            parameter_name  = "BufferIntervalInSeconds"
            parameter_value = parameters.value
          }
        }

        dynamic "parameters" {
          for_each = var.processor_buffer_size_mb != 1 ? [tostring(var.processor_buffer_size_mb)] : []

          content {
            parameter_name  = "BufferSizeInMBs"
            parameter_value = parameters.value
          }
        }
      }
    }

    dynamic "s3_backup_configuration" {
      for_each = var.raw_backup_enabled ? [1] : []

      content {
        role_arn            = aws_iam_role.firehose[0].arn
        bucket_arn          = aws_s3_bucket.archive[0].arn
        prefix              = "raw/!{timestamp:yyyy/MM/dd}/"
        error_output_prefix = "raw-errors/!{firehose:error-output-type}/!{timestamp:yyyy/MM/dd}/"
        buffering_interval  = var.archive_buffer_interval_seconds
        buffering_size      = var.archive_buffer_size_mb
        compression_format  = "GZIP"
        kms_key_arn         = var.kms_key_arn

        cloudwatch_logging_options {
          enabled         = true
          log_group_name  = aws_cloudwatch_log_group.firehose[0].name
          log_stream_name = aws_cloudwatch_log_stream.firehose_backup[0].name
        }
      }
    }
  }

  depends_on = [aws_iam_role_policy.firehose]
}
