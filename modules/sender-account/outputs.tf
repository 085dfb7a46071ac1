output "account_id" {
  description = "The account this instance forwards from: name it in the hub's sender_account_ids."
  value       = local.account_id
}

output "region" {
  description = "The Region this instance forwards from."
  value       = local.region
}

output "rule_arns" {
  description = "ARNs of the forwarding rules on the default bus, by source (ses, sms); empty when create is false."
  value       = { for key, rule in aws_cloudwatch_event_rule.forward : key => rule.arn }
}

output "role_arn" {
  description = "ARN of the role EventBridge uses to put the forwarded events on the hub's bus; null without rules."
  value       = try(aws_iam_role.forward[0].arn, null)
}

output "role_name" {
  description = "Name of the role EventBridge uses to put the forwarded events on the hub's bus; null without rules."
  value       = try(aws_iam_role.forward[0].name, null)
}

output "ses_event_destination_names" {
  description = "The event destination added to each SES configuration set, by configuration set name."
  value       = { for name, destination in aws_sesv2_configuration_set_event_destination.this : name => destination.event_destination_name }
}
