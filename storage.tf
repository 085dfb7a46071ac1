################################################################################
# DynamoDB: one item per message, expiring through TTL, and four KEYS_ONLY
# indexes for finding messages without their id. Each index entry is written
# only when its keys change (lambda_src/message_status/item.py says when), and
# expires with its message. The names and keys are message_status.model.INDEXES
# (a test keeps the two in step).
################################################################################

resource "aws_dynamodb_table" "this" {
  #checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS-owned key by default; with kms_key_arn set, the customer-managed key is used.
  count = local.create ? 1 : 0

  name                        = var.name
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "message_id"
  deletion_protection_enabled = var.deletion_protection_enabled
  tags                        = var.tags

  attribute {
    name = "message_id"
    type = "S"
  }

  # by_recipient: the first recipient, on the message item; the others, on
  # small pointer items. Sorted by when the message was sent.
  attribute {
    name = "rcpt"
    type = "S"
  }

  attribute {
    name = "sent"
    type = "N"
  }

  # by_correlation: the caller's own id (correlation_key), when a message has one.
  attribute {
    name = "cid"
    type = "S"
  }

  # by_outcome: "channel#status#shard" while the status is worth a window
  # search (not on the expected path), sorted by when the message reached it.
  attribute {
    name = "ost"
    type = "S"
  }

  attribute {
    name = "oat"
    type = "N"
  }

  # by_tenant: "tenant#shard" when SES named the message's tenant (ses:tenant-name),
  # sorted by when the message was sent. Written once per such message.
  attribute {
    name = "tnt"
    type = "S"
  }

  global_secondary_index {
    name            = "by_recipient"
    hash_key        = "rcpt"
    range_key       = "sent"
    projection_type = "KEYS_ONLY"
  }

  global_secondary_index {
    name            = "by_correlation"
    hash_key        = "cid"
    range_key       = "sent"
    projection_type = "KEYS_ONLY"
  }

  global_secondary_index {
    name            = "by_outcome"
    hash_key        = "ost"
    range_key       = "oat"
    projection_type = "KEYS_ONLY"
  }

  # Added in place on upgrade: DynamoDB builds it from the items that have tnt.
  global_secondary_index {
    name            = "by_tenant"
    hash_key        = "tnt"
    range_key       = "sent"
    projection_type = "KEYS_ONLY"
  }

  # The change stream the stream function publishes status changes from (events.tf).
  stream_enabled   = local.status_events
  stream_view_type = local.status_events ? "NEW_AND_OLD_IMAGES" : null

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }
}

################################################################################
# S3: archive of transformed records, Firehose errors and optional raw backup
################################################################################

resource "aws_s3_bucket" "archive" {
  #checkov:skip=CKV_AWS_18:Server access logging needs a separate log bucket the caller owns; Firehose is the only writer and logs its deliveries to CloudWatch.
  #checkov:skip=CKV_AWS_144:The archive is a convenience copy that expires after retention_days; the table is the system of record.
  #checkov:skip=CKV_AWS_21:Versioning is opt-in through archive_versioning_enabled; objects are written once by Firehose and expire.
  count = local.create ? 1 : 0

  bucket        = local.archive_bucket_name
  force_destroy = var.force_destroy
  tags          = var.tags
}

resource "aws_s3_bucket_public_access_block" "archive" {
  count = local.create ? 1 : 0

  bucket                  = aws_s3_bucket.archive[0].id
  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "archive" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "archive" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id

  rule {
    bucket_key_enabled = true

    apply_server_side_encryption_by_default {
      # aws:kms with no key id uses the AWS-managed aws/s3 key.
      sse_algorithm     = "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
  }
}

resource "aws_s3_bucket_versioning" "archive" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id

  versioning_configuration {
    status = var.archive_versioning_enabled ? "Enabled" : "Suspended"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "archive" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id

  rule {
    id     = "expire-after-retention"
    status = "Enabled"

    filter {}

    expiration {
      days = var.message_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = var.message_retention_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 1
    }
  }

  # Athena's result files are scratch: they go sooner than the events.
  rule {
    id     = "expire-athena-results"
    status = "Enabled"

    filter {
      prefix = "athena-results/"
    }

    expiration {
      days = var.athena_results_retention_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  depends_on = [aws_s3_bucket_versioning.archive]
}

data "aws_iam_policy_document" "archive_bucket" {
  count = local.create ? 1 : 0

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.archive[0].arn, "${aws_s3_bucket.archive[0].arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }
}

resource "aws_s3_bucket_policy" "archive" {
  count = local.create ? 1 : 0

  bucket = aws_s3_bucket.archive[0].id
  policy = data.aws_iam_policy_document.archive_bucket[0].json

  depends_on = [aws_s3_bucket_public_access_block.archive]
}
