################################################################################
# Analytics: a Glue table over the archive, an Athena workgroup, named queries
#
# The table's columns are the archive line's (dist/archive_columns.json, built
# from message_status.events.ARCHIVE_LINE_COLUMNS, so they cannot drift), and
# its date partitions are projected from the events/yyyy/MM/dd/ prefix: no
# crawler, no MSCK REPAIR. The named queries (analytics/*.sql) run in tests on
# DuckDB against a generated archive whose answers are known; each reads the
# partitions of the last athena_query_window_days days only.
################################################################################

locals {
  analytics        = local.create && var.analytics_enabled
  glue_database    = replace(var.name, "-", "_")
  archive_columns  = jsondecode(file("${path.module}/dist/archive_columns.json"))
  athena_results   = "athena-results/"
  archive_location = "s3://${local.archive_bucket_name}/events/"
  # Built from the name, so that the policy document is known at plan time.
  archive_bucket_arn = "arn:${local.partition}:s3:::${local.archive_bucket_name}"
  named_queries = {
    daily_rates             = "Daily delivery, failure and complaint rates per channel and source."
    bounces_by_domain       = "Hard bounces and complaints by recipient domain."
    sms_failures_by_country = "SMS failures by destination country and carrier status."
    delivery_latency        = "Time from send to delivered (p50, p95, p99) per day and channel."
    outcomes_by_group       = "Messages and outcomes per campaign, journey or correlation id."
    sms_spend_by_country    = "SMS spend in US dollars per day and destination country."
    rates_by_tenant         = "Delivery, bounce, complaint and engagement rates per SES tenant."
  }
}

resource "aws_glue_catalog_database" "this" {
  count = local.analytics ? 1 : 0

  name        = local.glue_database
  description = "Delivery events of the ${var.name} message status pipeline (one JSON line per event)."
  tags        = var.tags
}

resource "aws_glue_catalog_table" "events" {
  count = local.analytics ? 1 : 0

  name          = "events"
  database_name = aws_glue_catalog_database.this[0].name
  description   = "Every delivery event the pipeline archived: one row per event, the archive line's columns."
  table_type    = "EXTERNAL_TABLE"

  parameters = {
    classification  = "json"
    compressionType = "gzip"
    EXTERNAL        = "TRUE"

    # Partition projection: dt is the events/yyyy/MM/dd/ prefix Firehose writes.
    "projection.enabled"          = "true"
    "projection.dt.type"          = "date"
    "projection.dt.format"        = "yyyy/MM/dd"
    "projection.dt.range"         = "2024/01/01,NOW"
    "projection.dt.interval"      = "1"
    "projection.dt.interval.unit" = "DAYS"
    "storage.location.template"   = "${local.archive_location}$${dt}/"
  }

  partition_keys {
    name    = "dt"
    type    = "string"
    comment = "The day Firehose wrote the event (yyyy/MM/dd, UTC): filter on it to scan less."
  }

  storage_descriptor {
    location      = local.archive_location
    input_format  = "org.apache.hadoop.mapred.TextInputFormat"
    output_format = "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat"
    compressed    = true

    ser_de_info {
      name                  = "json"
      serialization_library = "org.openx.data.jsonserde.JsonSerDe"
      parameters = {
        "ignore.malformed.json" = "true"
      }
    }

    dynamic "columns" {
      for_each = local.archive_columns

      content {
        name = columns.value.name
        type = columns.value.type
      }
    }
  }
}

resource "aws_athena_workgroup" "this" {
  count = local.analytics ? 1 : 0

  name          = var.name
  description   = "Queries over the ${var.name} message status archive."
  state         = "ENABLED"
  force_destroy = var.force_destroy
  tags          = var.tags

  configuration {
    enforce_workgroup_configuration    = true
    publish_cloudwatch_metrics_enabled = true
    bytes_scanned_cutoff_per_query     = var.athena_bytes_scanned_cutoff_per_query

    engine_version {
      selected_engine_version = "Athena engine version 3"
    }

    result_configuration {
      output_location = "s3://${local.archive_bucket_name}/${local.athena_results}"

      encryption_configuration {
        encryption_option = local.kms_enabled ? "SSE_KMS" : "SSE_S3"
        kms_key_arn       = var.kms_key_arn
      }
    }
  }
}

resource "aws_athena_named_query" "this" {
  for_each = local.analytics ? local.named_queries : {}

  name        = "${var.name}-${replace(each.key, "_", "-")}"
  description = each.value
  workgroup   = aws_athena_workgroup.this[0].id
  database    = aws_glue_catalog_database.this[0].name
  # Named queries take no parameters: the window is written into the SQL.
  query = templatefile("${path.module}/analytics/${each.key}.sql", {
    window_days = var.athena_query_window_days
  })
}

################################################################################
# What an Athena user of these needs: a policy document to attach to them
################################################################################

data "aws_iam_policy_document" "analytics_query" {
  count = local.analytics ? 1 : 0

  statement {
    sid = "RunQueriesInTheWorkgroup"
    actions = [
      "athena:BatchGetNamedQuery",
      "athena:GetNamedQuery",
      "athena:GetQueryExecution",
      "athena:GetQueryResults",
      "athena:GetWorkGroup",
      "athena:ListNamedQueries",
      "athena:StartQueryExecution",
      "athena:StopQueryExecution",
    ]
    resources = [aws_athena_workgroup.this[0].arn]
  }

  statement {
    sid     = "ReadTheCatalogTable"
    actions = ["glue:GetDatabase", "glue:GetPartition", "glue:GetPartitions", "glue:GetTable"]
    resources = [
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:catalog",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:database/${local.glue_database}",
      "arn:${local.partition}:glue:${local.region}:${local.account_id}:table/${local.glue_database}/events",
    ]
  }

  # Athena finds the bucket's Region and its unfinished uploads first; these
  # requests carry no prefix, so they cannot share the listing's condition
  # (s3:prefix applies to ListBucket only: a statement conditioned on it never
  # allows GetBucketLocation).
  statement {
    sid       = "FindTheBucket"
    actions   = ["s3:GetBucketLocation", "s3:ListBucketMultipartUploads"]
    resources = [local.archive_bucket_arn]
  }

  statement {
    sid       = "ListTheArchiveAndResults"
    actions   = ["s3:ListBucket"]
    resources = [local.archive_bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["events/*", "${local.athena_results}*"]
    }
  }

  statement {
    sid       = "ReadTheArchive"
    actions   = ["s3:GetObject"]
    resources = ["${local.archive_bucket_arn}/events/*"]
  }

  statement {
    sid       = "WriteAndReadResults"
    actions   = ["s3:AbortMultipartUpload", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:PutObject"]
    resources = ["${local.archive_bucket_arn}/${local.athena_results}*"]
  }

  dynamic "statement" {
    for_each = local.kms_enabled ? [1] : []

    content {
      sid       = "UseTheArchiveKey"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]
    }
  }
}
