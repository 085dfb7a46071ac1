# Native `terraform test` of the root module with a mocked AWS provider: no
# endpoint, no credentials. From the repository root:
#
#   terraform init && terraform test
#
# (make test runs it on a copy of the module: tests/terraform/test_native.py).
# Plan-time assertions and input validation live here; what needs an AWS
# endpoint (read-back, deployed code) lives in the pytest apply tests.

mock_provider "aws" {
  mock_data "aws_caller_identity" {
    defaults = {
      account_id = "123456789012"
    }
  }

  mock_data "aws_region" {
    defaults = {
      id   = "eu-west-1"
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

################################################################################
# Defaults
################################################################################

run "defaults_are_authenticated_and_fresh" {
  command = plan

  assert {
    condition     = alltrue([for route in aws_apigatewayv2_route.this : route.authorization_type == "AWS_IAM"])
    error_message = "Every route must require IAM authentication by default."
  }

  assert {
    condition = anytrue([
      for p in aws_kinesis_firehose_delivery_stream.this["events"].extended_s3_configuration[0].processing_configuration[0].processors[0].parameters :
      p.parameter_name == "BufferIntervalInSeconds" && tonumber(p.parameter_value) <= 10
    ])
    error_message = "The processor must buffer at most 10 seconds by default."
  }

  assert {
    condition     = aws_lambda_function.this["transform"].layers[0] == "arn:aws:lambda:eu-west-1:017000801446:layer:AWSLambdaPowertoolsPythonV3-python312-arm64:27"
    error_message = "The default layer must be the AWS-managed Powertools v3 layer of the Region, runtime and architecture."
  }

  assert {
    condition     = aws_s3_bucket.archive[0].bucket == "native-123456789012-eu-west-1"
    error_message = "The archive bucket name must carry the account and Region."
  }

  assert {
    condition     = alltrue([for role in concat(values(aws_iam_role.function), [aws_iam_role.firehose[0]]) : role.path == "/" && role.permissions_boundary == null])
    error_message = "By default roles sit at / with no permissions boundary."
  }

  assert {
    condition     = keys(aws_lambda_function.this) == ["heal", "query", "transform"]
    error_message = "By default the module runs the transform, the query and the heal function; the stream function comes with status events."
  }

  assert {
    condition     = alltrue([for fn in values(aws_lambda_function.this) : length(fn.vpc_config) == 0]) && length(data.aws_iam_policy_document.vpc_access) == 0
    error_message = "By default the functions run outside any VPC, with no network-interface permissions."
  }
}

run "no_function_reserves_concurrency_by_default" {
  command = plan

  variables {
    status_events_enabled = true
  }

  assert {
    condition     = keys(aws_lambda_function.this) == ["heal", "query", "stream", "transform"]
    error_message = "Status events add the stream function to the map."
  }

  assert {
    condition     = alltrue([for fn in values(aws_lambda_function.this) : fn.reserved_concurrent_executions == -1])
    error_message = "By default no function reserves concurrency (-1: unreserved)."
  }
}

run "disabled_creates_nothing_and_outputs_null" {
  command = plan

  variables {
    create = false
  }

  assert {
    condition     = length(aws_dynamodb_table.this) == 0 && length(aws_lambda_function.this) == 0 && length(aws_iam_role.source) == 0
    error_message = "create = false must create nothing."
  }

  assert {
    condition = alltrue([
      for value in [
        output.api_endpoint, output.api_arn, output.table_arn, output.archive_bucket_arn,
        output.transform_function_arn, output.query_function_arn, output.transform_role_arn,
        output.query_role_arn, output.firehose_role_arn, output.ses_source_role_arn,
        output.heal_function_arn, output.heal_queue_arn, output.heal_dead_letter_queue_arn,
        output.log_group_names,
      ] : value == null
    ])
    error_message = "create = false must output null, log_group_names included (not a map of nulls)."
  }
}

################################################################################
# Composition inputs
################################################################################

run "roles_take_the_path_boundary_and_prefix" {
  command = plan

  variables {
    iam_role_name_prefix         = "platform-msgstatus"
    iam_role_path                = "/message-status/"
    iam_permissions_boundary_arn = "arn:aws:iam::123456789012:policy/boundary"
    ses_configuration_set_names  = ["transactional"]
    sms_configuration_set_names  = ["otp"]
    pinpoint_application_ids     = ["0123456789abcdef0123456789abcdef"]
    status_events_enabled        = true
  }

  assert {
    condition     = length(aws_iam_role.function) == 4
    error_message = "One execution role per function, the stream and heal functions' included."
  }

  # Pinpoint inputs are deprecated: their warning is expected (see the last run).
  expect_failures = [check.pinpoint_end_of_support]

  assert {
    condition = alltrue([
      for role in concat(values(aws_iam_role.function), [aws_iam_role.firehose[0]], values(aws_iam_role.source)) :
      role.path == "/message-status/" && role.permissions_boundary == "arn:aws:iam::123456789012:policy/boundary" && startswith(role.name, "platform-msgstatus-")
    ])
    error_message = "Every role, source roles included, must carry the path, the boundary and the name prefix."
  }

  assert {
    condition     = length(aws_iam_role.source) == 3
    error_message = "One source role per source."
  }

  assert {
    condition     = aws_lambda_function.this["transform"].function_name == "native-transform"
    error_message = "The role prefix names roles only; functions keep name."
  }
}

run "extra_environment_is_merged_under_the_modules_own" {
  command = plan

  variables {
    lambda_environment_variables = { DEPLOYMENT = "blue" }
    status_events_enabled        = true
  }

  assert {
    condition     = length(aws_lambda_function.this) == 4 && alltrue([for fn in values(aws_lambda_function.this) : fn.environment[0].variables["DEPLOYMENT"] == "blue"])
    error_message = "Every function gets the extra variables."
  }

  assert {
    condition = alltrue([
      for key in ["transform", "query", "heal"] : aws_lambda_function.this[key].environment[0].variables["TABLE_NAME"] == "native"
    ]) && aws_lambda_function.this["stream"].environment[0].variables["EVENT_BUS_NAME"] == "default"
    error_message = "The extra variables sit next to each function's own."
  }
}

run "vpc_config_attaches_every_function_and_grants_interface_permissions" {
  command = plan

  variables {
    lambda_vpc_config = {
      subnet_ids         = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"]
      security_group_ids = ["sg-0123456789abcdef0"]
    }
    status_events_enabled = true
  }

  assert {
    condition = length(aws_lambda_function.this) == 4 && alltrue([
      for fn in values(aws_lambda_function.this) :
      toset(fn.vpc_config[0].subnet_ids) == toset(["subnet-0123456789abcdef0", "subnet-0123456789abcdef1"])
      && toset(fn.vpc_config[0].security_group_ids) == toset(["sg-0123456789abcdef0"])
    ])
    error_message = "Every function must run in the given subnets and security groups."
  }

  assert {
    condition     = length(data.aws_iam_policy_document.vpc_access) == 1
    error_message = "The roles must get the network-interface permissions VPC functions need."
  }
}

run "reserved_concurrency_is_set_per_function" {
  command = plan

  variables {
    transform_reserved_concurrency = 20
    query_reserved_concurrency     = 5
    stream_reserved_concurrency    = 2
    heal_reserved_concurrency      = 3
    status_events_enabled          = true
  }

  assert {
    condition = {
      for key, fn in aws_lambda_function.this : key => fn.reserved_concurrent_executions
    } == { transform = 20, query = 5, stream = 2, heal = 3 }
    error_message = "Reserved concurrency must reach each function, the stream and heal functions' included."
  }

  assert {
    condition     = aws_lambda_event_source_mapping.heal[0].scaling_config[0].maximum_concurrency == 3
    error_message = "The heal queue's mapping must never run more heal functions than are reserved (a throttled poll counts as an attempt)."
  }
}

run "healing_can_be_switched_off" {
  command = plan

  variables {
    heal_enabled = false
  }

  assert {
    condition     = keys(aws_lambda_function.this) == ["query", "transform"] && length(aws_sqs_queue.heal) == 0 && length(aws_s3_bucket_notification.archive) == 0 && length(aws_lambda_event_source_mapping.heal) == 0
    error_message = "heal_enabled = false must create no heal function, queue, notification or mapping."
  }

  assert {
    condition     = output.heal_function_arn == null && output.heal_queue_arn == null && output.heal_dead_letter_queue_arn == null
    error_message = "Without healing, its outputs are null."
  }
}

################################################################################
# Refused inputs: each fails at plan with its own message
################################################################################

run "jwt_without_issuer_is_refused" {
  command = plan

  variables {
    api_authorization_type = "JWT"
  }

  expect_failures = [aws_apigatewayv2_api.this]
}

run "name_with_capitals_is_refused" {
  command = plan
  variables {
    name = "Bad_Name"
  }
  expect_failures = [var.name]
}

run "name_over_32_characters_is_refused" {
  command = plan
  variables {
    name = "abcdefghijklmnopqrstuvwxyz0123456"
  }
  expect_failures = [var.name]
}

run "unknown_authorization_type_is_refused" {
  command = plan
  variables {
    api_authorization_type = "COGNITO"
  }
  expect_failures = [var.api_authorization_type]
}

run "plain_http_jwt_issuer_is_refused" {
  command = plan
  variables {
    jwt_issuer = "http://insecure.example.com"
  }
  expect_failures = [var.jwt_issuer]
}

run "kms_alias_is_refused" {
  command = plan
  variables {
    kms_key_arn = "alias/mine"
  }
  expect_failures = [var.kms_key_arn]
}

run "buffer_interval_over_900_is_refused" {
  command = plan
  variables {
    processor_buffer_interval_seconds = 901
  }
  expect_failures = [var.processor_buffer_interval_seconds]
}

run "buffer_size_over_3_is_refused" {
  command = plan
  variables {
    processor_buffer_size_mb = 5
  }
  expect_failures = [var.processor_buffer_size_mb]
}

run "old_runtime_is_refused" {
  command = plan
  variables {
    lambda_runtime = "python3.9"
  }
  expect_failures = [var.lambda_runtime]
}

run "unknown_architecture_is_refused" {
  command = plan
  variables {
    lambda_architecture = "arm"
  }
  expect_failures = [var.lambda_architecture]
}

run "unsupported_log_retention_is_refused" {
  command = plan
  variables {
    log_retention_days = 42
  }
  expect_failures = [var.log_retention_days]
}

run "zero_message_retention_is_refused" {
  command = plan
  variables {
    message_retention_days = 0
  }
  expect_failures = [var.message_retention_days]
}

run "unknown_layer_keyword_is_refused" {
  command = plan
  variables {
    powertools_layer_arn = "latest"
  }
  expect_failures = [var.powertools_layer_arn]
}

run "ses_configuration_set_with_a_space_is_refused" {
  command = plan
  variables {
    ses_configuration_set_names = ["has space"]
  }
  expect_failures = [var.ses_configuration_set_names]
}

run "role_path_without_slashes_is_refused" {
  command = plan
  variables {
    iam_role_path = "message-status"
  }
  expect_failures = [var.iam_role_path]
}

run "boundary_that_is_not_a_policy_arn_is_refused" {
  command = plan
  variables {
    iam_permissions_boundary_arn = "arn:aws:iam::123456789012:role/not-a-policy"
  }
  expect_failures = [var.iam_permissions_boundary_arn]
}

run "role_prefix_that_would_overflow_64_characters_is_refused" {
  command = plan
  variables {
    iam_role_name_prefix = "a-role-name-prefix-far-too-long-for-iam"
  }
  expect_failures = [var.iam_role_name_prefix]
}

run "overriding_the_modules_own_environment_is_refused" {
  command = plan
  variables {
    lambda_environment_variables = { TABLE_NAME = "another-table" }
  }
  expect_failures = [var.lambda_environment_variables]
}

run "lambda_reserved_environment_names_are_refused" {
  command = plan
  variables {
    lambda_environment_variables = { AWS_REGION = "us-west-2" }
  }
  expect_failures = [var.lambda_environment_variables]
}

run "vpc_config_without_security_groups_is_refused" {
  command = plan
  variables {
    lambda_vpc_config = {
      subnet_ids         = ["subnet-0123456789abcdef0"]
      security_group_ids = []
    }
  }
  expect_failures = [var.lambda_vpc_config]
}

run "negative_reserved_concurrency_is_refused" {
  command = plan
  variables {
    transform_reserved_concurrency = -1
  }
  expect_failures = [var.transform_reserved_concurrency]
}

run "heal_reserved_concurrency_of_one_is_refused" {
  command = plan
  variables {
    heal_reserved_concurrency = 1
  }
  expect_failures = [var.heal_reserved_concurrency]
}

run "heal_delay_over_sqs_900_seconds_is_refused" {
  command = plan
  variables {
    heal_delay_seconds = 901
  }
  expect_failures = [var.heal_delay_seconds]
}

run "heal_attempts_over_sqs_1000_are_refused" {
  command = plan
  variables {
    heal_max_attempts = 1001
  }
  expect_failures = [var.heal_max_attempts]
}

run "heal_retry_interval_shorter_than_its_timeout_is_refused" {
  command = plan
  variables {
    heal_timeout_seconds        = 300
    heal_retry_interval_seconds = 120
  }
  expect_failures = [aws_sqs_queue.heal]
}

run "negative_stream_reserved_concurrency_is_refused" {
  command = plan
  variables {
    stream_reserved_concurrency = -1
  }
  expect_failures = [var.stream_reserved_concurrency]
}

run "fractional_memory_is_refused" {
  command = plan
  variables {
    query_memory_mb = 256.5
  }
  expect_failures = [var.query_memory_mb]
}

run "transform_timeout_over_firehoses_300_seconds_is_refused" {
  command = plan
  variables {
    transform_timeout_seconds = 301
  }
  expect_failures = [var.transform_timeout_seconds]
}

run "query_timeout_over_api_gateways_30_seconds_is_refused" {
  command = plan
  variables {
    query_timeout_seconds = 31
  }
  expect_failures = [var.query_timeout_seconds]
}

run "stream_timeout_under_5_seconds_is_refused" {
  command = plan
  variables {
    stream_timeout_seconds = 4
  }
  expect_failures = [var.stream_timeout_seconds]
}

run "search_shards_reach_both_functions" {
  command = plan

  variables {
    search_shards   = 8
    correlation_key = "ticket-id"
  }

  assert {
    condition = alltrue([
      for key in ["transform", "query"] :
      aws_lambda_function.this[key].environment[0].variables["SEARCH_SHARDS"] == "8"
    ])
    error_message = "Both functions must agree on the outcome index's shards."
  }

  assert {
    condition     = aws_lambda_function.this["transform"].environment[0].variables["CORRELATION_KEY"] == "ticket-id"
    error_message = "The transform reads the correlation key."
  }
}

run "zero_search_shards_are_refused" {
  command = plan
  variables {
    search_shards = 0
  }
  expect_failures = [var.search_shards]
}

run "nine_search_shards_are_refused" {
  command = plan
  variables {
    search_shards = 9
  }
  expect_failures = [var.search_shards]
}

run "fractional_search_shards_are_refused" {
  command = plan
  variables {
    search_shards = 2.5
  }
  expect_failures = [var.search_shards]
}

run "correlation_key_with_a_space_is_refused" {
  command = plan
  variables {
    correlation_key = "order id"
  }
  expect_failures = [var.correlation_key]
}

run "webhook_with_plain_http_is_refused" {
  command = plan
  variables {
    webhooks = {
      ops = { url = "http://hooks.example.com", auth = { type = "API_KEY", api_key_name = "k" } }
    }
    webhook_secrets = { ops = "x" }
  }
  expect_failures = [var.webhooks]
}

run "webhook_basic_auth_without_username_is_refused" {
  command = plan
  variables {
    webhooks = {
      ops = { url = "https://hooks.example.com", auth = { type = "BASIC" } }
    }
    webhook_secrets = { ops = "x" }
  }
  expect_failures = [var.webhooks]
}

run "webhook_rate_over_300_is_refused" {
  command = plan
  variables {
    webhooks = {
      ops = {
        url                   = "https://hooks.example.com"
        rate_limit_per_second = 301
        auth                  = { type = "API_KEY", api_key_name = "k" }
      }
    }
    webhook_secrets = { ops = "x" }
  }
  expect_failures = [var.webhooks]
}

run "webhook_pattern_and_filters_together_are_refused" {
  command = plan
  variables {
    webhooks = {
      ops = {
        url           = "https://hooks.example.com"
        statuses      = ["FAILED"]
        event_pattern = "{\"source\": [\"message-status\"]}"
        auth          = { type = "API_KEY", api_key_name = "k" }
      }
    }
    webhook_secrets = { ops = "x" }
  }
  expect_failures = [var.webhooks]
}

run "aws_event_source_is_refused" {
  command = plan
  variables {
    event_source = "aws.messages"
  }
  expect_failures = [var.event_source]
}

run "stream_batch_size_over_1000_is_refused" {
  command = plan
  variables {
    stream_batch_size = 1001
  }
  expect_failures = [var.stream_batch_size]
}

run "webhook_with_its_own_pattern_uses_it" {
  command = plan

  variables {
    webhooks = {
      ops = {
        url           = "https://hooks.example.com"
        event_pattern = "{\"source\": [\"message-status\"], \"detail\": {\"correlation_id\": [\"ORD-1\"]}}"
        auth          = { type = "API_KEY", api_key_name = "k" }
      }
    }
    webhook_secrets = { ops = "x" }
  }

  assert {
    condition     = jsondecode(aws_cloudwatch_event_rule.webhook["ops"].event_pattern).detail.correlation_id == ["ORD-1"]
    error_message = "A webhook's own pattern is used as given."
  }

  assert {
    condition     = aws_dynamodb_table.this[0].stream_enabled
    error_message = "A webhook turns the table's stream on."
  }
}

run "kinesis_source_key_with_capitals_is_refused" {
  command = plan
  variables {
    kinesis_source_stream_arns = { Pinpoint = "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events" }
  }
  expect_failures = [var.kinesis_source_stream_arns]
}

run "kinesis_source_that_is_not_a_stream_arn_is_refused" {
  command = plan
  variables {
    kinesis_source_stream_arns = { pinpoint = "arn:aws:firehose:us-east-1:123456789012:deliverystream/x" }
  }
  expect_failures = [var.kinesis_source_stream_arns]
}

run "the_same_kinesis_stream_twice_is_refused" {
  command = plan
  variables {
    kinesis_source_stream_arns = {
      one = "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events"
      two = "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events"
    }
  }
  expect_failures = [var.kinesis_source_stream_arns]
}

run "kinesis_key_alias_is_refused" {
  command = plan
  variables {
    kinesis_source_stream_arns  = { pinpoint = "arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events" }
    kinesis_source_kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:alias/streams"]
  }
  expect_failures = [var.kinesis_source_kms_key_arns]
}

run "kinesis_key_without_streams_is_refused" {
  command = plan
  variables {
    kinesis_source_kms_key_arns = ["arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"]
  }
  expect_failures = [var.kinesis_source_kms_key_arns]
}

run "athena_scan_limit_below_athenas_minimum_is_refused" {
  command = plan
  variables {
    athena_bytes_scanned_cutoff_per_query = 1048576
  }
  expect_failures = [var.athena_bytes_scanned_cutoff_per_query]
}

run "athena_results_kept_zero_days_is_refused" {
  command = plan
  variables {
    athena_results_retention_days = 0
  }
  expect_failures = [var.athena_results_retention_days]
}

run "athena_query_window_of_zero_days_is_refused" {
  command = plan
  variables {
    athena_query_window_days = 0
  }
  expect_failures = [var.athena_query_window_days]
}

################################################################################
# Deprecated inputs: Amazon Pinpoint reached end of support on 2026-10-30
################################################################################

run "pinpoint_projects_still_stream_but_the_plan_warns" {
  command = plan

  variables {
    pinpoint_applications = { legacy = "0123456789abcdef0123456789abcdef" }
  }

  # In a plan the check only warns; `terraform test` counts it as a failure,
  # which this run expects. The runs without Pinpoint inputs would fail if it
  # fired without them.
  expect_failures = [check.pinpoint_end_of_support]

  assert {
    condition     = aws_pinpoint_event_stream.this["legacy"].application_id == "0123456789abcdef0123456789abcdef"
    error_message = "A project that still streams keeps its event stream into the delivery stream."
  }
}
