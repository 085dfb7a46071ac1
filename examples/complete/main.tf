# Every source (SES, End User Messaging SMS v2), JWT authentication, a
# customer-managed KMS key, roles under a path with a permissions boundary,
# optional VPC attachment, and a disabled instance that creates nothing.

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = "${var.name}-transactional"

  delivery_options {
    tls_policy = "REQUIRE"
  }

  reputation_options {
    reputation_metrics_enabled = true
  }
}

module "message_status" {
  source = "../../"

  name = var.name

  ses_configuration_set_names = [aws_sesv2_configuration_set.this.configuration_set_name]
  sms_configuration_set_names = var.sms_configuration_set_names

  # An existing Kinesis data stream as a source too, encrypted with the key.
  kinesis_source_stream_arns  = { pinpoint = aws_kinesis_stream.events.arn }
  kinesis_source_kms_key_arns = [aws_kms_key.this.arn]

  api_authorization_type = "JWT"
  jwt_issuer             = var.jwt_issuer
  jwt_audience           = var.jwt_audience

  kms_key_arn                 = aws_kms_key.this.arn
  message_retention_days      = 30
  log_retention_days          = 400
  deletion_protection_enabled = true
  archive_versioning_enabled  = true
  raw_backup_enabled          = true

  # Enterprise accounts: roles under a path, capped by a permissions boundary.
  iam_role_path                = "/message-status/"
  iam_permissions_boundary_arn = aws_iam_policy.boundary.arn

  processor_buffer_interval_seconds = 0
  processor_buffer_size_mb          = 0.5

  lambda_architecture  = "x86_64"
  lambda_runtime       = "python3.13"
  powertools_log_level = "WARNING"

  lambda_vpc_config = length(var.vpc_subnet_ids) == 0 ? null : {
    subnet_ids         = var.vpc_subnet_ids
    security_group_ids = var.vpc_security_group_ids
  }
  lambda_environment_variables = {
    DEPLOYMENT = "complete-example"
  }
  transform_reserved_concurrency = 10
  stream_reserved_concurrency    = 4

  api_throttling_burst_limit = 20
  api_throttling_rate_limit  = 10

  # Status-change events on a bus of the module's own, encrypted with the key,
  # and a webhook that hears about final failures only.
  correlation_key  = "order_id"
  create_event_bus = true
  event_bus_name   = "${var.name}-status"
  event_source     = "message-status.complete"
  webhooks = {
    failures = {
      url        = var.webhook_url
      statuses   = ["HARD_BOUNCED", "COMPLAINED", "REJECTED", "FAILED", "OPTED_OUT"]
      final_only = true
      auth = {
        type         = "API_KEY"
        api_key_name = "x-webhook-key"
      }
      rate_limit_per_second  = 20
      maximum_retry_attempts = 50
    }
  }
  webhook_secrets = { failures = var.webhook_api_key }

  tags = {
    Example = "complete"
  }
}

# A module block kept in place with create = false deploys nothing: useful to
# switch an environment off without deleting its configuration.
module "disabled" {
  source = "../../"

  create = false
  name   = "${var.name}-off"
}
