output "api_id" {
  description = "ID of the HTTP API."
  value       = module.message_status.api_id
}

output "api_endpoint" {
  description = "Base URL of the HTTP API (its $default stage), without a trailing slash."
  value       = module.message_status.api_endpoint
}

output "api_execution_arn" {
  description = "Execution ARN of the HTTP API, for IAM policies that allow callers execute-api:Invoke (append /*/GET/messages/* and so on)."
  value       = module.message_status.api_execution_arn
}

output "message_status_url" {
  description = "URL template for one message's status: replace {message_id} with the id the sending service returned."
  value       = module.message_status.message_status_url
}

output "table_name" {
  description = "Name of the DynamoDB table that holds one status record per message."
  value       = module.message_status.table_name
}

output "table_arn" {
  description = "ARN of the DynamoDB table that holds one status record per message."
  value       = module.message_status.table_arn
}

output "delivery_stream_arn" {
  description = "ARN of the Kinesis Data Firehose stream that every source sends its events to."
  value       = module.message_status.delivery_stream_arn
}

output "delivery_stream_name" {
  description = "Name of the Kinesis Data Firehose stream that every source sends its events to."
  value       = module.message_status.delivery_stream_name
}

output "transform_function_name" {
  description = "Name of the Lambda function that turns source events into status records."
  value       = module.message_status.transform_function_name
}

output "query_function_name" {
  description = "Name of the Lambda function behind the HTTP API."
  value       = module.message_status.query_function_name
}

output "archive_bucket_name" {
  description = "Name of the S3 bucket that archives transformed records (events/), failed records (errors/) and, when enabled, raw records (raw/)."
  value       = module.message_status.archive_bucket_name
}

output "pinpoint_role_arn" {
  description = "ARN of the role Amazon Pinpoint assumes to write to the delivery stream; null when no Pinpoint project is streamed."
  value       = module.message_status.pinpoint_role_arn
}

output "ses_role_arn" {
  description = "ARN of the role Amazon SES assumes to write to the delivery stream; null when ses_configuration_set_names is empty."
  value       = module.message_status.ses_role_arn
}

output "sms_event_destination_role_arn" {
  description = "ARN of the role for AWS End User Messaging SMS event destinations (IamRoleArn of a KinesisFirehoseDestination); null when sms_configuration_set_names is empty."
  value       = module.message_status.sms_event_destination_role_arn
}

output "log_group_names" {
  description = "Names of the CloudWatch log groups the module created, by component (transform, query, firehose, api)."
  value       = module.message_status.log_group_names
}
