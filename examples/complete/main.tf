# Every source (SES, End User Messaging SMS v2), JWT authentication, a
# customer-managed KMS key, and a disabled instance that creates nothing.

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

  api_authorization_type = "JWT"
  jwt_issuer             = var.jwt_issuer
  jwt_audience           = var.jwt_audience

  kms_key_arn                 = aws_kms_key.this.arn
  retention_days              = 30
  log_retention_in_days       = 400
  deletion_protection_enabled = true
  archive_versioning_enabled  = true
  raw_backup_enabled          = true

  processor_buffer_interval_seconds = 0
  processor_buffer_size_mb          = 0.5

  lambda_architecture  = "x86_64"
  lambda_runtime       = "python3.13"
  powertools_log_level = "WARNING"

  api_throttling_burst_limit = 20
  api_throttling_rate_limit  = 10

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
