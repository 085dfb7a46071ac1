################################################################################
# Webhooks: EventBridge API destinations for the status-change events
#
# For each webhook: a connection (its auth, kept by EventBridge in a Secrets
# Manager secret of its own), an API destination (the URL and a rate limit), a
# rule on the events' bus, its target (retries, then a dead-letter queue) and
# a role that may invoke that one destination (iam.tf). EventBridge does the
# delivery, signing and retries; the module runs no sender of its own.
################################################################################

locals {
  webhooks = local.status_events ? var.webhooks : {}

  # The rule of each webhook, built from its parts (the role's trust policy
  # names it, and the rule's target names the role).
  webhook_rule_names = { for name, _ in local.webhooks : name => "${var.name}-webhook-${name}" }
  # Named here for the key-policy statements too (kms.tf), which cannot wait for the queues.
  webhook_dead_letter_names = { for name, _ in local.webhooks : name => "${var.name}-webhook-${name}-dlq" }
  webhook_rule_arns = {
    for name, rule in local.webhook_rule_names : name => (
      var.event_bus_name == "default"
      ? "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${rule}"
      : "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${var.event_bus_name}/${rule}"
    )
  }

  # A webhook's filter: its own pattern, or one built from statuses, channels and
  # final_only. With statuses: each change of the message's status to one of
  # them (final_only: while final, so that a complaint after the delivery still
  # counts). final_only alone: the one change that made the message final
  # (became_final), never the opens, clicks or recipient changes after it. Each
  # part goes through JSON so that true stays a boolean (merging conditional
  # objects would make every value a string).
  webhook_details = {
    for name, hook in local.webhooks : name => merge(
      jsondecode(length(hook.statuses) > 0 ? jsonencode({ status = hook.statuses, status_changed = [true] }) : "{}"),
      jsondecode(length(hook.channels) > 0 ? jsonencode({ channel = hook.channels }) : "{}"),
      jsondecode(hook.final_only && length(hook.statuses) > 0 ? jsonencode({ is_final = [true] }) : "{}"),
      jsondecode(hook.final_only && length(hook.statuses) == 0 ? jsonencode({ became_final = [true] }) : "{}"),
    )
  }
  webhook_patterns = {
    for name, hook in local.webhooks : name => (
      hook.event_pattern != null ? hook.event_pattern : jsonencode(merge(
        { source = [var.event_source], "detail-type" = [local.status_event_detail_type] },
        jsondecode(length(local.webhook_details[name]) > 0 ? jsonencode({ detail = local.webhook_details[name] }) : "{}"),
      ))
    )
  }

  webhooks_with_secret_arn = { for name, hook in local.webhooks : name => hook if hook.auth.secret_arn != null }
  webhook_secret_values = {
    for name, hook in local.webhooks : name => (
      hook.auth.secret_arn != null
      ? try(data.aws_secretsmanager_secret_version.webhook[name].secret_string, null)
      : lookup(var.webhook_secrets, name, null)
    )
  }
}

data "aws_secretsmanager_secret_version" "webhook" {
  for_each = local.webhooks_with_secret_arn

  secret_id = each.value.auth.secret_arn
}

resource "aws_cloudwatch_event_connection" "webhook" {
  for_each = local.webhooks

  name               = "${var.name}-${each.key}"
  description        = "Authorization for the ${each.key} status webhook."
  authorization_type = each.value.auth.type

  auth_parameters {
    dynamic "api_key" {
      for_each = each.value.auth.type == "API_KEY" ? [1] : []

      content {
        key   = each.value.auth.api_key_name
        value = local.webhook_secret_values[each.key]
      }
    }

    dynamic "basic" {
      for_each = each.value.auth.type == "BASIC" ? [1] : []

      content {
        username = each.value.auth.username
        password = local.webhook_secret_values[each.key]
      }
    }

    dynamic "oauth" {
      for_each = each.value.auth.type == "OAUTH_CLIENT_CREDENTIALS" ? [1] : []

      content {
        authorization_endpoint = each.value.auth.authorization_endpoint
        http_method            = each.value.auth.oauth_http_method

        client_parameters {
          client_id     = each.value.auth.client_id
          client_secret = local.webhook_secret_values[each.key]
        }

        oauth_http_parameters {}
      }
    }
  }

  lifecycle {
    precondition {
      condition     = local.webhook_secret_values[each.key] != null
      error_message = "Webhook ${each.key} has no secret: set webhook_secrets[\"${each.key}\"] or its auth.secret_arn."
    }
  }
}

resource "aws_cloudwatch_event_api_destination" "webhook" {
  for_each = local.webhooks

  name                             = "${var.name}-${each.key}"
  description                      = "Receives Message Status Changed events (${each.key})."
  invocation_endpoint              = each.value.url
  http_method                      = "POST"
  invocation_rate_limit_per_second = each.value.rate_limit_per_second
  connection_arn                   = aws_cloudwatch_event_connection.webhook[each.key].arn
}

resource "aws_cloudwatch_event_rule" "webhook" {
  for_each = local.webhooks

  name           = local.webhook_rule_names[each.key]
  description    = "Message Status Changed events for the ${each.key} webhook."
  event_bus_name = local.status_event_bus_name
  event_pattern  = local.webhook_patterns[each.key]
  tags           = var.tags

  depends_on = [aws_cloudwatch_event_bus.this]
}

resource "aws_sqs_queue" "webhook_dead_letter" {
  for_each = local.webhooks

  name                              = local.webhook_dead_letter_names[each.key]
  message_retention_seconds         = 1209600 # 14 days, SQS's longest
  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_enabled ? 300 : null
  tags                              = var.tags
}

data "aws_iam_policy_document" "webhook_dead_letter" {
  for_each = local.webhooks

  statement {
    sid       = "EventBridgeDeadLettersOfThisRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.webhook_dead_letter[each.key].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.webhook_rule_arns[each.key]]
    }
  }
}

resource "aws_sqs_queue_policy" "webhook_dead_letter" {
  for_each = local.webhooks

  queue_url = aws_sqs_queue.webhook_dead_letter[each.key].id
  policy    = data.aws_iam_policy_document.webhook_dead_letter[each.key].json
}

resource "aws_cloudwatch_event_target" "webhook" {
  for_each = local.webhooks

  rule           = aws_cloudwatch_event_rule.webhook[each.key].name
  event_bus_name = local.status_event_bus_name
  target_id      = "webhook"
  arn            = aws_cloudwatch_event_api_destination.webhook[each.key].arn
  role_arn       = aws_iam_role.webhook[each.key].arn

  retry_policy {
    maximum_event_age_in_seconds = each.value.maximum_event_age_seconds
    maximum_retry_attempts       = each.value.maximum_retry_attempts
  }

  dead_letter_config {
    arn = aws_sqs_queue.webhook_dead_letter[each.key].arn
  }
}
