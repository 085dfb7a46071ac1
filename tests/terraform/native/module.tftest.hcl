# Native `terraform test` of the root module with a mocked AWS provider: no
# endpoint, no credentials. tests/terraform/test_native.py runs it on a copy
# of the module (`terraform test -test-directory=...`).

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      name = "eu-west-1"
    }
  }

  # Roles and inline policies validate their JSON even in a plan.
  mock_data "aws_iam_policy_document" {
    defaults = {
      json = "{\"Version\":\"2012-10-17\",\"Statement\":[]}"
    }
  }

  mock_data "aws_partition" {
    defaults = {
      partition = "aws"
    }
  }
}

variables {
  name = "native"
}

run "defaults_are_authenticated_and_fresh" {
  command = plan

  assert {
    condition     = alltrue([for route in aws_apigatewayv2_route.this : route.authorization_type == "AWS_IAM"])
    error_message = "Every route must require IAM authentication by default."
  }

  assert {
    condition     = length(aws_apigatewayv2_route.this) == 3
    error_message = "The API must have exactly three routes."
  }

  assert {
    condition = anytrue([
      for p in aws_kinesis_firehose_delivery_stream.this[0].extended_s3_configuration[0].processing_configuration[0].processors[0].parameters :
      p.parameter_name == "BufferIntervalInSeconds" && tonumber(p.parameter_value) <= 10
    ])
    error_message = "The processor must buffer at most 10 seconds by default."
  }

  assert {
    condition     = aws_lambda_function.transform[0].layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"
    error_message = "The default layer must be the AWS-managed Powertools v3 layer of the Region, runtime and architecture."
  }

  assert {
    condition     = aws_s3_bucket.archive[0].bucket == "native-123456789012-eu-west-1"
    error_message = "The archive bucket name must carry the account and Region."
  }
}

run "disabled_creates_nothing" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0 && length(aws_lambda_function.transform) == 0 && output.api_endpoint == null
    error_message = "create = false must create nothing and output nulls."
  }
}

run "jwt_without_issuer_is_refused" {
  command = plan

  variables {
    api_authorization_type = "JWT"
  }

  expect_failures = [aws_apigatewayv2_api.this]
}

run "buffer_interval_over_900_is_refused" {
  command = plan

  variables {
    processor_buffer_interval_seconds = 901
  }

  expect_failures = [var.processor_buffer_interval_seconds]
}
