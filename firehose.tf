################################################################################
# Kinesis Data Firehose: sources put events here; the transform turns them
# into message records, and the output lands in the archive bucket
################################################################################

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
  count = local.create ? 1 : 0

  name        = local.delivery_stream_name
  destination = "extended_s3"
  tags        = var.tags

  server_side_encryption {
    enabled  = true
    key_type = local.kms_enabled ? "CUSTOMER_MANAGED_CMK" : "AWS_OWNED_CMK"
    key_arn  = var.kms_key_arn
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
          parameter_value = "${aws_lambda_function.transform[0].arn}:$LATEST"
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
