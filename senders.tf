################################################################################
# Sender accounts: one instance serves many accounts and Regions
#
# Each sender account (modules/sender-account) publishes its SES events to its
# default bus ("Monitoring SES events using Amazon EventBridge", SES Developer
# Guide), where End User Messaging SMS also sends its status events ("Monitoring
# with EventBridge", End User Messaging SMS User Guide), and forwards them with a
# rule to the bus below ("Sending and receiving events between AWS accounts" and
# "... between AWS Regions", EventBridge User Guide). The bus admits only the
# named accounts, or the organization, and only those events (its resource
# policy: "Permissions for event buses in Amazon EventBridge"); its rule puts each
# whole event on the delivery stream, where the transform reads the envelope's
# account and Region and its detail, the event as the service publishes it.
################################################################################

locals {
  senders_enabled = local.create && (length(var.sender_account_ids) > 0 || var.sender_organization_id != null)

  # The events the module reads, by source: their detail-types (modules/event-types,
  # whence modules/sender-account forwards the same).
  sender_detail_types = module.event_types.eventbridge_detail_types
  sender_sources      = sort(keys(local.sender_detail_types))
  sender_detail_names = sort(flatten(values(local.sender_detail_types)))

  senders_bus_name  = "${var.name}-senders"
  senders_bus_arn   = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/${local.senders_bus_name}"
  senders_rule_name = "${var.name}-senders-to-stream"
  senders_rule_arn  = "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${local.senders_bus_name}/${local.senders_rule_name}"
  # Named here for the key policy (kms.tf), which cannot wait for the queue.
  senders_dead_letter_name = "${var.name}-senders-dlq"
  eventbridge_dead_letter_names = concat(
    values(local.webhook_dead_letter_names),
    local.senders_enabled ? [local.senders_dead_letter_name] : [],
  )
}

resource "aws_cloudwatch_event_bus" "senders" {
  count = local.senders_enabled ? 1 : 0

  # An AWS-owned key: a customer-managed key would have to let every sender
  # account's forwarding role use it too.
  name = local.senders_bus_name
  tags = var.tags

  lifecycle {
    precondition {
      condition     = length(var.sender_account_ids) == 0 || var.sender_organization_id == null
      error_message = "Give sender_account_ids or sender_organization_id, not both: the bus admits either the named accounts or every account of the organization, and naming both would admit the organization whatever the list says."
    }
  }
}

# Who may put events on the bus: the named accounts (any principal their IAM
# allows: the forwarding roles of modules/sender-account) or the organization's,
# and only the sources and detail-types the module reads. events:source and
# events:detail-type are multivalued (one value per entry of a PutEvents call),
# hence ForAllValues, with Null so that a request without them is refused
# ("Using IAM policy conditions in Amazon EventBridge"; IAM User Guide,
# "Single-valued vs. multivalued context keys").
data "aws_iam_policy_document" "senders_bus" {
  count = local.senders_enabled ? 1 : 0

  statement {
    sid       = length(var.sender_account_ids) > 0 ? "NamedAccountsForwardTheirMessagingEvents" : "OrganizationAccountsForwardTheirMessagingEvents"
    actions   = ["events:PutEvents"]
    resources = [local.senders_bus_arn]

    principals {
      type = "AWS"
      identifiers = length(var.sender_account_ids) > 0 ? [
        for id in sort(tolist(var.sender_account_ids)) : "arn:${local.partition}:iam::${id}:root"
      ] : ["*"]
    }

    dynamic "condition" {
      for_each = var.sender_organization_id == null ? [] : [var.sender_organization_id]

      content {
        test     = "StringEquals"
        variable = "aws:PrincipalOrgID"
        values   = [condition.value]
      }
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "events:source"
      values   = local.sender_sources
    }

    condition {
      test     = "ForAllValues:StringEquals"
      variable = "events:detail-type"
      values   = local.sender_detail_names
    }

    condition {
      test     = "Null"
      variable = "events:source"
      values   = ["false"]
    }

    condition {
      test     = "Null"
      variable = "events:detail-type"
      values   = ["false"]
    }
  }
}

resource "aws_cloudwatch_event_bus_policy" "senders" {
  count = local.senders_enabled ? 1 : 0

  event_bus_name = aws_cloudwatch_event_bus.senders[0].name
  policy         = data.aws_iam_policy_document.senders_bus[0].json
}

resource "aws_cloudwatch_event_rule" "senders" {
  count = local.senders_enabled ? 1 : 0

  name           = local.senders_rule_name
  description    = "SES and End User Messaging events forwarded by sender accounts, to ${local.delivery_stream_name}."
  event_bus_name = aws_cloudwatch_event_bus.senders[0].name
  # With named accounts, only theirs (the envelope's account: where the event began).
  event_pattern = jsonencode(merge(
    { source = local.sender_sources, detail-type = local.sender_detail_names },
    length(var.sender_account_ids) > 0 ? { account = sort(tolist(var.sender_account_ids)) } : {},
  ))
  tags = var.tags
}

# What EventBridge could not put on the stream after every retry.
resource "aws_sqs_queue" "senders_dead_letter" {
  count = local.senders_enabled ? 1 : 0

  name                              = local.senders_dead_letter_name
  message_retention_seconds         = 1209600 # 14 days, SQS's longest
  sqs_managed_sse_enabled           = local.kms_enabled ? null : true
  kms_master_key_id                 = var.kms_key_arn
  kms_data_key_reuse_period_seconds = local.kms_enabled ? 300 : null
  tags                              = var.tags
}

data "aws_iam_policy_document" "senders_dead_letter" {
  count = local.senders_enabled ? 1 : 0

  statement {
    sid       = "EventBridgeDeadLettersOfTheSendersRule"
    actions   = ["sqs:SendMessage"]
    resources = [aws_sqs_queue.senders_dead_letter[0].arn]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [local.senders_rule_arn]
    }
  }
}

resource "aws_sqs_queue_policy" "senders_dead_letter" {
  count = local.senders_enabled ? 1 : 0

  queue_url = aws_sqs_queue.senders_dead_letter[0].id
  policy    = data.aws_iam_policy_document.senders_dead_letter[0].json
}

# Whole events: the transform reads the envelope (account, region) and its detail.
resource "aws_cloudwatch_event_target" "senders" {
  count = local.senders_enabled ? 1 : 0

  rule           = aws_cloudwatch_event_rule.senders[0].name
  event_bus_name = aws_cloudwatch_event_bus.senders[0].name
  target_id      = "delivery-stream"
  arn            = aws_kinesis_firehose_delivery_stream.this["events"].arn
  role_arn       = aws_iam_role.senders[0].arn

  retry_policy {
    maximum_event_age_in_seconds = 86400 # EventBridge's longest
    maximum_retry_attempts       = 185   # EventBridge's most
  }

  dead_letter_config {
    arn = aws_sqs_queue.senders_dead_letter[0].arn
  }

  depends_on = [aws_iam_role_policy.senders]
}
