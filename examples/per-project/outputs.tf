# Each output is a map from project key to the module output of that name.

output "api_id" {
  description = "ID of the HTTP API."
  value       = { for project, instance in module.message_status : project => instance.api_id }
}

output "api_endpoint" {
  description = "Base URL of the HTTP API (its $default stage), without a trailing slash."
  value       = { for project, instance in module.message_status : project => instance.api_endpoint }
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow callers execute-api:Invoke (append /*/GET/messages/* and so on)."
  value       = { for project, instance in module.message_status : project => instance.api_execution_arn }
}

output "message_status_url" {
  description = "URL template for one message's status: replace {message_id} with the id the sending service returned."
  value       = { for project, instance in module.message_status : project => instance.message_status_url }
}

output "table_name" {
  description = "Name of the DynamoDB table that holds one status record per message."
  value       = { for project, instance in module.message_status : project => instance.table_name }
}

output "table_arn" {
  description = "ARN of the DynamoDB table that holds one status record per message."
  value       = { for project, instance in module.message_status : project => instance.table_arn }
}

output "delivery_stream_arn" {
  description = "ARN of the Kinesis Data Firehose stream that every source sends its events to."
  value       = { for project, instance in module.message_status : project => instance.delivery_stream_arn }
}

output "delivery_stream_name" {
  description = "Name of the Kinesis Data Firehose stream that every source sends its events to."
  value       = { for project, instance in module.message_status : project => instance.delivery_stream_name }
}

output "transform_function_name" {
  description = "Name of the Lambda function that turns source events into status records."
  value       = { for project, instance in module.message_status : project => instance.transform_function_name }
}

output "query_function_name" {
  description = "Name of the Lambda function behind the HTTP API."
  value       = { for project, instance in module.message_status : project => instance.query_function_name }
}

output "archive_bucket_name" {
  description = "Name of the S3 bucket that archives transformed records (events/), failed records (errors/) and, when enabled, raw records (raw/)."
  value       = { for project, instance in module.message_status : project => instance.archive_bucket_name }
}

output "pinpoint_role_arn" {
  description = "ARN of the role Amazon Pinpoint assumes to write to the delivery stream; null when no Pinpoint project is streamed."
  value       = { for project, instance in module.message_status : project => instance.pinpoint_role_arn }
}

output "ses_role_arn" {
  description = "ARN of the role Amazon SES assumes to write to the delivery stream; null when ses_configuration_set_names is empty."
  value       = { for project, instance in module.message_status : project => instance.ses_role_arn }
}

output "sms_event_destination_role_arn" {
  description = "ARN of the role for AWS End User Messaging SMS event destinations (IamRoleArn of a KinesisFirehoseDestination); null when sms_configuration_set_names is empty."
  value       = { for project, instance in module.message_status : project => instance.sms_event_destination_role_arn }
}

output "log_group_names" {
  description = "Names of the CloudWatch log groups the module created, by component (transform, query, firehose, api)."
  value       = { for project, instance in module.message_status : project => instance.log_group_names }
}
