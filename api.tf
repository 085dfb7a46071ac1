################################################################################
# HTTP API in front of the query function
################################################################################

locals {
  # The ANY routes send every other method on the API's paths to the function,
  # which answers 405 with Allow (API Gateway alone would answer 404).
  api_routes = toset([
    "GET /messages/{message_id}",
    "GET /messages",
    "POST /messages/batch-get",
    "GET /recipients/{address}",
    "ANY /messages/{message_id}",
    "ANY /messages",
    "ANY /recipients/{address}",
  ])

  # No request path: /recipients/{address} holds an email address or a phone
  # number, and personal data stays out of logs. routeKey names the route.

  api_access_log_format = jsonencode({
    requestId          = "$context.requestId"
    requestTime        = "$context.requestTime"
    httpMethod         = "$context.httpMethod"
    routeKey           = "$context.routeKey"
    status             = "$context.status"
    responseLength     = "$context.responseLength"
    responseLatency    = "$context.responseLatency"
    integrationStatus  = "$context.integrationStatus"
    integrationError   = "$context.integrationErrorMessage"
    sourceIp           = "$context.identity.sourceIp"
    userAgent          = "$context.identity.userAgent"
    callerArn          = "$context.identity.userArn"
    authorizerError    = "$context.authorizer.error"
    authorizerSubject  = "$context.authorizer.claims.sub"
    integrationLatency = "$context.integrationLatency"
  })
}

resource "aws_apigatewayv2_api" "this" {
  count = local.create ? 1 : 0

  name          = var.name
  description   = "Looks up what happened to one email or SMS message."
  protocol_type = "HTTP"
  tags          = var.tags

  lifecycle {
    precondition {
      condition     = var.api_authorization_type != "JWT" || (var.jwt_issuer != null && length(var.jwt_audience) > 0)
      error_message = "api_authorization_type JWT needs jwt_issuer and a non-empty jwt_audience."
    }
  }
}

resource "aws_apigatewayv2_authorizer" "jwt" {
  count = local.create && var.api_authorization_type == "JWT" ? 1 : 0

  api_id           = aws_apigatewayv2_api.this[0].id
  name             = "${var.name}-jwt"
  authorizer_type  = "JWT"
  identity_sources = ["$request.header.Authorization"]

  jwt_configuration {
    issuer   = var.jwt_issuer
    audience = var.jwt_audience
  }
}

resource "aws_apigatewayv2_integration" "query" {
  count = local.create ? 1 : 0

  api_id                 = aws_apigatewayv2_api.this[0].id
  description            = "The ${local.query_function_name} function."
  integration_type       = "AWS_PROXY"
  integration_method     = "POST"
  integration_uri        = aws_lambda_function.this["query"].invoke_arn
  payload_format_version = "2.0"
}

resource "aws_apigatewayv2_route" "this" {
  for_each = local.create ? local.api_routes : toset([])

  api_id             = aws_apigatewayv2_api.this[0].id
  route_key          = each.value
  target             = "integrations/${aws_apigatewayv2_integration.query[0].id}"
  authorization_type = var.api_authorization_type
  authorizer_id      = try(aws_apigatewayv2_authorizer.jwt[0].id, null)
}

resource "aws_cloudwatch_log_group" "api" {
  #checkov:skip=CKV_AWS_158:CloudWatch Logs encrypts at rest by default; with kms_key_arn set, the customer-managed key is used.
  count = local.create ? 1 : 0

  name              = "/aws/apigateway/${var.name}"
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags
}

resource "aws_apigatewayv2_stage" "this" {
  count = local.create ? 1 : 0

  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true
  tags        = var.tags

  default_route_settings {
    throttling_burst_limit = var.api_throttling_burst_limit
    throttling_rate_limit  = var.api_throttling_rate_limit
  }

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[0].arn
    format          = local.api_access_log_format
  }
}

check "api_is_authenticated" {
  assert {
    condition     = var.api_authorization_type != "NONE"
    error_message = "api_authorization_type is NONE: anyone who has the API URL and a message id can read that message's status and recipient. Put another control in front of the API or use AWS_IAM or JWT."
  }
}
