################################################################################
# API
################################################################################

output "api_id" {
  description = "ID of the HTTP API."
  value       = try(aws_apigatewayv2_api.this[0].id, null)
}

output "api_arn" {
  description = "ARN of the HTTP API (for tagging and resource policies; callers need api_execution_arn)."
  value       = try(aws_apigatewayv2_api.this[0].arn, null)
}

output "api_endpoint" {
  description = "Base URL of the HTTP API (its $default stage), without a trailing slash."
  value       = try(aws_apigatewayv2_api.this[0].api_endpoint, null)
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow callers execute-api:Invoke (append /*/GET/messages/* and so on)."
  value       = try(aws_apigatewayv2_api.this[0].execution_arn, null)
}

output "message_status_url" {
  description = "URL template for one message's status: replace {message_id} with the id the sending service returned."
  value       = try("${aws_apigatewayv2_api.this[0].api_endpoint}/messages/{message_id}", null)
}

################################################################################
# Data
################################################################################

output "table_name" {
  description = "Name of the DynamoDB table that holds one status record per message."
  value       = try(aws_dynamodb_table.this[0].name, null)
}

output "table_arn" {
  description = "ARN of the DynamoDB table that holds one status record per message."
  value       = try(aws_dynamodb_table.this[0].arn, null)
}

output "archive_bucket_name" {
  description = "Name of the S3 bucket that archives transformed records (events/), failed records (errors/) and, when enabled, raw records (raw/)."
  value       = try(aws_s3_bucket.archive[0].id, null)
}

output "archive_bucket_arn" {
  description = "ARN of the S3 bucket that archives transformed records (events/), failed records (errors/) and, when enabled, raw records (raw/)."
  value       = try(aws_s3_bucket.archive[0].arn, null)
}

output "delivery_stream_name" {
  description = "Name of the Kinesis Data Firehose stream that every source sends its events to."
  value       = try(aws_kinesis_firehose_delivery_stream.this["events"].name, null)
}

output "delivery_stream_arn" {
  description = "ARN of the Kinesis Data Firehose stream that every source sends its events to."
  value       = try(aws_kinesis_firehose_delivery_stream.this["events"].arn, null)
}

output "kinesis_delivery_stream_arns" {
  description = "ARNs of the delivery streams that read the streams in kinesis_source_stream_arns, by the same keys; empty when there are none or create is false."
  value       = { for key in keys(var.kinesis_source_stream_arns) : key => aws_kinesis_firehose_delivery_stream.this["kinesis-${key}"].arn if local.create }
}

################################################################################
# Functions
################################################################################

output "transform_function_name" {
  description = "Name of the Lambda function that turns source events into status records."
  value       = try(aws_lambda_function.this["transform"].function_name, null)
}

output "transform_function_arn" {
  description = "ARN of the Lambda function that turns source events into status records."
  value       = try(aws_lambda_function.this["transform"].arn, null)
}

output "query_function_name" {
  description = "Name of the Lambda function behind the HTTP API."
  value       = try(aws_lambda_function.this["query"].function_name, null)
}

output "query_function_arn" {
  description = "ARN of the Lambda function behind the HTTP API."
  value       = try(aws_lambda_function.this["query"].arn, null)
}

output "vpc_endpoint_services" {
  description = "Per function, the VPC endpoint service names its code reaches with lambda_vpc_config: create an endpoint for each in the functions' subnets (DynamoDB's can be a free gateway endpoint) or route them through NAT. X-Ray carries traces only. Empty when create is false."
  value       = local.vpc_endpoint_services
}

output "log_group_names" {
  description = "Names of the CloudWatch log groups the module created, by component (transform, query, firehose, api, stream with status events, and heal with heal_enabled); null when create is false."
  value = local.create ? merge(
    { for function, group in aws_cloudwatch_log_group.function : function => group.name },
    {
      firehose = aws_cloudwatch_log_group.firehose[0].name
      api      = aws_cloudwatch_log_group.api[0].name
    },
  ) : null
}

################################################################################
# Status-change events and webhooks
################################################################################

output "event_bus_name" {
  description = "Name of the EventBridge bus the Message Status Changed events go to; null without status events."
  value       = local.status_events ? local.status_event_bus_name : null
}

output "event_bus_arn" {
  description = "ARN of the EventBridge bus the Message Status Changed events go to; null without status events."
  value       = local.status_events ? local.status_event_bus_arn : null
}

output "senders_event_bus_arn" {
  description = "ARN of the EventBridge bus the sender accounts forward their events to: give it to modules/sender-account as hub_event_bus_arn. Null without sender_account_ids or sender_organization_id."
  value       = try(aws_cloudwatch_event_bus.senders[0].arn, null)
}

output "senders_event_bus_name" {
  description = "Name of the EventBridge bus the sender accounts forward their events to; null without senders."
  value       = try(aws_cloudwatch_event_bus.senders[0].name, null)
}

output "senders_rule_arn" {
  description = "ARN of the rule that puts the sender accounts' events into the delivery stream; null without senders."
  value       = try(aws_cloudwatch_event_rule.senders[0].arn, null)
}

output "senders_role_arn" {
  description = "ARN of the role EventBridge uses to put the sender accounts' events into the delivery stream; null without senders."
  value       = try(aws_iam_role.senders[0].arn, null)
}

output "senders_dead_letter_queue_url" {
  description = "URL of the SQS queue that receives the sender accounts' events EventBridge could not put into the delivery stream after every retry (alarm on its depth); null without senders."
  value       = try(aws_sqs_queue.senders_dead_letter[0].url, null)
}

output "senders_dead_letter_queue_arn" {
  description = "ARN of the SQS queue that receives the sender accounts' events EventBridge could not put into the delivery stream; null without senders."
  value       = try(aws_sqs_queue.senders_dead_letter[0].arn, null)
}

output "event_source" {
  description = "The source of the Message Status Changed events, for rule patterns; null without status events."
  value       = local.status_events ? var.event_source : null
}

output "event_detail_type" {
  description = "The detail-type of the events (Message Status Changed), for rule patterns; null without status events."
  value       = local.status_events ? local.status_event_detail_type : null
}

output "table_stream_arn" {
  description = "ARN of the table's change stream the stream function reads; null without status events."
  value       = try(aws_dynamodb_table.this[0].stream_arn, null)
}

output "stream_function_name" {
  description = "Name of the function that publishes status changes from the table's stream; null without status events."
  value       = try(aws_lambda_function.this["stream"].function_name, null)
}

output "stream_function_arn" {
  description = "ARN of the function that publishes status changes from the table's stream; null without status events."
  value       = try(aws_lambda_function.this["stream"].arn, null)
}

output "stream_role_name" {
  description = "Name of the stream function's execution role; null without status events."
  value       = try(aws_iam_role.function["stream"].name, null)
}

output "stream_role_arn" {
  description = "ARN of the stream function's execution role; null without status events."
  value       = try(aws_iam_role.function["stream"].arn, null)
}

output "status_events_failure_queue_url" {
  description = "URL of the SQS queue that receives the description of every stream batch whose events could not be published after all retries (alarm on its depth); null without status events."
  value       = try(aws_sqs_queue.stream_failures[0].url, null)
}

output "status_events_failure_queue_arn" {
  description = "ARN of the SQS queue that receives the description of every stream batch whose events could not be published after all retries; null without status events."
  value       = try(aws_sqs_queue.stream_failures[0].arn, null)
}

output "webhooks" {
  description = "Per webhook: the ARNs of its connection, API destination, rule, role and dead-letter queue, and the dead-letter queue's URL."
  value = {
    for name, _ in local.webhooks : name => {
      connection_arn        = aws_cloudwatch_event_connection.webhook[name].arn
      api_destination_arn   = aws_cloudwatch_event_api_destination.webhook[name].arn
      rule_arn              = aws_cloudwatch_event_rule.webhook[name].arn
      role_arn              = aws_iam_role.webhook[name].arn
      dead_letter_queue_arn = aws_sqs_queue.webhook_dead_letter[name].arn
      dead_letter_queue_url = aws_sqs_queue.webhook_dead_letter[name].url
    }
  }
}

################################################################################
# Healing
################################################################################

output "heal_function_name" {
  description = "Name of the function that heals the records the transform failed on a transient store fault; null when heal_enabled is false."
  value       = try(aws_lambda_function.this["heal"].function_name, null)
}

output "heal_function_arn" {
  description = "ARN of the function that heals the records the transform failed on a transient store fault; null when heal_enabled is false."
  value       = try(aws_lambda_function.this["heal"].arn, null)
}

output "heal_role_name" {
  description = "Name of the heal function's execution role; null when heal_enabled is false."
  value       = try(aws_iam_role.function["heal"].name, null)
}

output "heal_role_arn" {
  description = "ARN of the heal function's execution role; null when heal_enabled is false."
  value       = try(aws_iam_role.function["heal"].arn, null)
}

output "heal_queue_url" {
  description = "URL of the heal queue, which the archive bucket notifies of every object under errors/processing-failed/; null when heal_enabled is false."
  value       = try(aws_sqs_queue.heal[0].url, null)
}

output "heal_queue_arn" {
  description = "ARN of the heal queue, which the archive bucket notifies of every object under errors/processing-failed/ (with kms_key_arn, S3 must be allowed to use the key for it); null when heal_enabled is false."
  value       = try(aws_sqs_queue.heal[0].arn, null)
}

output "heal_dead_letter_queue_url" {
  description = "URL of the queue that keeps the notifications of the objects given up after heal_max_attempts (the objects stay in errors/processing-failed/ for msgstatus replay); null when heal_enabled is false."
  value       = try(aws_sqs_queue.heal_dead_letters[0].url, null)
}

output "heal_dead_letter_queue_arn" {
  description = "ARN of the queue that keeps the notifications of the objects given up after heal_max_attempts; null when heal_enabled is false."
  value       = try(aws_sqs_queue.heal_dead_letters[0].arn, null)
}

################################################################################
# Roles
################################################################################

output "transform_role_name" {
  description = "Name of the transform function's execution role."
  value       = try(aws_iam_role.function["transform"].name, null)
}

output "transform_role_arn" {
  description = "ARN of the transform function's execution role."
  value       = try(aws_iam_role.function["transform"].arn, null)
}

output "query_role_name" {
  description = "Name of the query function's execution role."
  value       = try(aws_iam_role.function["query"].name, null)
}

output "query_role_arn" {
  description = "ARN of the query function's execution role."
  value       = try(aws_iam_role.function["query"].arn, null)
}

output "firehose_role_name" {
  description = "Name of the role the delivery stream uses to invoke the transform and write the archive."
  value       = try(aws_iam_role.firehose[0].name, null)
}

output "firehose_role_arn" {
  description = "ARN of the role the delivery stream uses to invoke the transform and write the archive."
  value       = try(aws_iam_role.firehose[0].arn, null)
}

output "pinpoint_source_role_name" {
  description = "Name of the role Amazon Pinpoint assumes to write to the delivery stream; null when no Pinpoint project is streamed (pinpoint_application_ids and pinpoint_applications are both empty)."
  value       = try(aws_iam_role.source["pinpoint"].name, null)
}

output "pinpoint_source_role_arn" {
  description = "ARN of the role Amazon Pinpoint assumes to write to the delivery stream; null when no Pinpoint project is streamed (pinpoint_application_ids and pinpoint_applications are both empty)."
  value       = try(aws_iam_role.source["pinpoint"].arn, null)
}

output "ses_source_role_name" {
  description = "Name of the role Amazon SES assumes to write to the delivery stream; null when ses_configuration_set_names is empty."
  value       = try(aws_iam_role.source["ses"].name, null)
}

output "ses_source_role_arn" {
  description = "ARN of the role Amazon SES assumes to write to the delivery stream; null when ses_configuration_set_names is empty."
  value       = try(aws_iam_role.source["ses"].arn, null)
}

output "sms_source_role_name" {
  description = "Name of the role AWS End User Messaging SMS assumes to write to the delivery stream; null when sms_configuration_set_names is empty."
  value       = try(aws_iam_role.source["sms"].name, null)
}

output "sms_source_role_arn" {
  description = "ARN of the role for AWS End User Messaging SMS event destinations (IamRoleArn of their KinesisFirehoseDestination); null when sms_configuration_set_names is empty."
  value       = try(aws_iam_role.source["sms"].arn, null)
}

################################################################################
# Alarms and dashboard
################################################################################

output "alarm_names" {
  description = "Names of the CloudWatch alarms the module created (empty when alarms are off)."
  value = concat(
    [for alarm in aws_cloudwatch_metric_alarm.metric : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.messages_failed : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.api_5xx_rate : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.dynamodb : alarm.alarm_name],
    [for alarm in aws_cloudwatch_metric_alarm.rate : alarm.alarm_name],
  )
}

output "alarm_topic_arn" {
  description = "ARN of the SNS topic the module created for alarms.email_subscriptions; null when it created none."
  value       = try(aws_sns_topic.alarms[0].arn, null)
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null when dashboard_enabled is false."
  value       = try(aws_cloudwatch_dashboard.this[0].dashboard_name, null)
}

################################################################################
# Analytics
################################################################################

output "glue_database_name" {
  description = "Name of the Glue database of the archive; null when analytics_enabled is false."
  value       = try(aws_glue_catalog_database.this[0].name, null)
}

output "glue_table_name" {
  description = "Name of the Glue table over the archived events (one row per event); null without analytics."
  value       = try(aws_glue_catalog_table.events[0].name, null)
}

output "athena_workgroup_name" {
  description = "Name of the Athena workgroup to query the archive in (enforced settings, encrypted results, a scan limit); null without analytics."
  value       = try(aws_athena_workgroup.this[0].name, null)
}

output "athena_named_query_ids" {
  description = "IDs of the named queries, by name (daily_rates, bounces_by_domain, sms_failures_by_country, delivery_latency, outcomes_by_group, sms_spend_by_country)."
  value       = { for name, query in aws_athena_named_query.this : name => query.id }
}

output "analytics_query_policy_json" {
  description = "An IAM policy document that lets a user or role run queries in the workgroup over the table (Athena, Glue, the archive's events/ and athena-results/ prefixes, and the KMS key): attach it to your analysts. Null without analytics."
  value       = try(data.aws_iam_policy_document.analytics_query[0].json, null)
}

output "kms_key_policy_statements_json" {
  description = "The key-policy statements the services that encrypt for the module need on the kms_key_arn key, as a policy document to merge into the key's policy (source_policy_documents): CloudWatch Logs for the module's log groups, EventBridge for a created bus and the webhooks' and the sender accounts' dead-letter queues, and S3 for the heal queue's notifications, each bound to those resources by an encryption context. Only the features that are on; known at plan time and independent of kms_key_arn, so the key and the module can be created in one apply. Null when create is false."
  value       = try(data.aws_iam_policy_document.kms_key_services[0].json, null)
}
