################################################################################
# Log groups: created by the module so that retention and encryption apply
# from the first invocation
################################################################################

resource "aws_cloudwatch_log_group" "transform" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  count = local.create ? 1 : 0

  name              = "/aws/lambda/${local.transform_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_cloudwatch_log_group" "query" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  count = local.create ? 1 : 0

  name              = "/aws/lambda/${local.query_function_name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

################################################################################
# Transform: Firehose's processor, writes message records to the table
################################################################################

resource "aws_lambda_function" "transform" {
  #checkov:skip=CKV_AWS_116:Firehose invokes the processor synchronously and retries or routes failed records to the errors/ prefix itself; a DLQ only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:A VPC is opt-in through lambda_vpc_config; the function only calls DynamoDB, CloudWatch and X-Ray public endpoints, so by default a VPC would add NAT cost and no protection.
  #checkov:skip=CKV_AWS_272:Code is the reviewed, reproducibly built dist/transform.zip shipped with the module; signing is left to callers who repackage it.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is opt-in through transform_reserved_concurrency; Firehose bounds its processor's concurrency itself (one invocation per shard-equivalent).
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (table name, retention, log settings); with kms_key_arn set, it is encrypted with the customer-managed key.
  count = local.create ? 1 : 0

  function_name                  = local.transform_function_name
  description                    = "Turns Pinpoint, SES and SMS events from Firehose into message status records."
  role                           = aws_iam_role.transform[0].arn
  handler                        = "app.lambda_handler"
  runtime                        = var.lambda_runtime
  architectures                  = [var.lambda_architecture]
  memory_size                    = var.transform_memory_mb
  timeout                        = var.transform_timeout_seconds
  reserved_concurrent_executions = coalesce(var.transform_reserved_concurrency, -1)
  filename                       = "${path.module}/dist/transform.zip"
  source_code_hash               = filebase64sha256("${path.module}/dist/transform.zip")
  layers                         = local.powertools_layers
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = merge(local.lambda_environment_common, {
      TABLE_NAME              = aws_dynamodb_table.this[0].name
      RETENTION_DAYS          = tostring(var.message_retention_days)
      POWERTOOLS_SERVICE_NAME = "${var.name}-transform"
      # The code sizes its DynamoDB timeouts and retries to fit this.
      FUNCTION_TIMEOUT_SECONDS = tostring(var.transform_timeout_seconds)
    }, var.correlation_key == null ? {} : { CORRELATION_KEY = var.correlation_key })
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
    aws_cloudwatch_log_group.transform,
    aws_iam_role_policy.transform,
  ]
}

################################################################################
# Query: behind the HTTP API, reads message records
################################################################################

resource "aws_lambda_function" "query" {
  #checkov:skip=CKV_AWS_116:API Gateway invokes the function synchronously and returns errors to the caller; a DLQ only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:A VPC is opt-in through lambda_vpc_config; the function only calls DynamoDB, CloudWatch and X-Ray public endpoints, so by default a VPC would add NAT cost and no protection.
  #checkov:skip=CKV_AWS_272:Code is the reviewed, reproducibly built dist/query.zip shipped with the module; signing is left to callers who repackage it.
  #checkov:skip=CKV_AWS_115:Reserved concurrency is opt-in through query_reserved_concurrency; the API stage's throttling (api_throttling_*) bounds concurrency in front of the function.
  #checkov:skip=CKV_AWS_173:The environment holds no secrets (table name, log settings); with kms_key_arn set, it is encrypted with the customer-managed key.
  count = local.create ? 1 : 0

  function_name                  = local.query_function_name
  description                    = "Answers GET /messages/{message_id} and batch lookups from the message status table."
  role                           = aws_iam_role.query[0].arn
  handler                        = "app.lambda_handler"
  runtime                        = var.lambda_runtime
  architectures                  = [var.lambda_architecture]
  memory_size                    = var.query_memory_mb
  timeout                        = var.query_timeout_seconds
  reserved_concurrent_executions = coalesce(var.query_reserved_concurrency, -1)
  filename                       = "${path.module}/dist/query.zip"
  source_code_hash               = filebase64sha256("${path.module}/dist/query.zip")
  layers                         = local.powertools_layers
  kms_key_arn                    = var.kms_key_arn
  tags                           = var.tags

  environment {
    variables = merge(local.lambda_environment_common, {
      TABLE_NAME              = aws_dynamodb_table.this[0].name
      POWERTOOLS_SERVICE_NAME = "${var.name}-query"
      # The code sizes its DynamoDB timeouts and retries to fit this.
      FUNCTION_TIMEOUT_SECONDS = tostring(var.query_timeout_seconds)
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
    aws_cloudwatch_log_group.query,
    aws_iam_role_policy.query,
  ]
}

resource "aws_lambda_permission" "api" {
  count = local.create ? 1 : 0

  statement_id  = "AllowInvokeFromHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.query[0].function_name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*"
}
