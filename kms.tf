################################################################################
# What a customer-managed key (kms_key_arn) must let AWS services do for the
# module: the key-policy statements of output kms_key_policy_statements_json,
# for the caller to merge into the key's policy (source_policy_documents).
#
# Service principals need the key policy itself; the module's roles use the
# key through their IAM policies, which count only when the key policy lets
# the account's IAM policies decide (the default key policy's statement for
# the account root). DynamoDB, Firehose, Lambda (its environment), S3 (the
# archive) and Athena (its results) use the key through grants or on behalf
# of the principals that call them, so they need nothing here.
#
# Everything below is built from names, never from kms_key_arn or a resource:
# the key's policy is written before the key exists, and the module's
# resources need the key (examples/complete creates both in one apply).
################################################################################

locals {
  # The log groups the module creates (lambda.tf, firehose.tf, api.tf); a plan
  # test checks that this list names every one of them.
  key_log_group_names = concat(
    ["/aws/lambda/${local.transform_function_name}", "/aws/lambda/${local.query_function_name}"],
    local.status_events ? ["/aws/lambda/${local.stream_function_name}"] : [],
    local.heal_enabled ? ["/aws/lambda/${local.heal_function_name}"] : [],
    ["/aws/kinesisfirehose/${local.delivery_stream_name}", "/aws/apigateway/${var.name}"],
  )
  key_event_bus = local.status_events && var.create_event_bus
  # The queue S3 sends the archive's notifications to (heal.tf), by name.
  key_heal_queue_arn = "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${local.heal_queue_name}"
}

data "aws_iam_policy_document" "kms_key_services" {
  #checkov:skip=CKV_AWS_111:In a key policy, resource "*" is the key the policy is attached to; each statement is for one service principal, bound by an encryption context to the module's own log groups, bus or queues.
  #checkov:skip=CKV_AWS_356:In a key policy, resource "*" is the key the policy is attached to, not every resource.
  #checkov:skip=CKV_AWS_109:These statements change nothing about who may administer the key; the caller's own key policy decides that.
  count = local.create ? 1 : 0

  # CloudWatch Logs encrypts a log group's data with the key it is given
  # (CloudWatch Logs user guide, "Encrypt log data in CloudWatch Logs using
  # AWS KMS": the service principal of the Region, bound to the log groups by
  # the aws:logs:arn encryption context). The guide's wildcards, written out,
  # but for its kms:Describe*: DescribeKey carries no encryption context
  # (Service Authorization Reference), so under this condition it would grant
  # nothing, as it grants nothing in the guide's own policy.
  statement {
    sid = "CloudWatchLogsEncryptsTheModulesLogGroups"
    actions = [
      "kms:Decrypt",
      "kms:Encrypt",
      "kms:GenerateDataKey",
      "kms:GenerateDataKeyWithoutPlaintext",
      "kms:ReEncryptFrom",
      "kms:ReEncryptTo",
    ]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${local.region}.${data.aws_partition.current.dns_suffix}"]
    }

    condition {
      test     = "ArnEquals"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values = [
        for name in local.key_log_group_names :
        "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:${name}"
      ]
    }
  }

  # A bus of the module's own (create_event_bus) is encrypted with the key:
  # EventBridge checks the key when the bus is created, then encrypts and
  # decrypts every event on it (EventBridge user guide, "Authorizing
  # EventBridge to use a customer managed key"). Each event's data key is
  # bound to the bus by the aws:events:event-bus:arn encryption context, the
  # narrowest of the conditions the guide offers; DescribeKey carries no
  # context, and the guide grants it unconditioned.
  dynamic "statement" {
    for_each = local.key_event_bus ? [1] : []

    content {
      sid       = "EventBridgeChecksTheKeyOfTheStatusBus"
      actions   = ["kms:DescribeKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }
    }
  }

  dynamic "statement" {
    for_each = local.key_event_bus ? [1] : []

    content {
      sid       = "EventBridgeEncryptsTheStatusBus"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:events:event-bus:arn"
        values   = [local.status_event_bus_arn]
      }
    }
  }

  # EventBridge sends what a webhook, or the sender accounts' rule, could not
  # deliver to its dead-letter queue, encrypted with the key: as an AWS
  # service that sends to SQS, it needs GenerateDataKey and Decrypt in the key
  # policy (SQS developer guide,
  # "Configure KMS permissions for AWS services"). SQS binds each data key to
  # the queue (the aws:sqs:arn encryption context): only these queues. The SNS
  # guide warns that aws:SourceAccount and aws:SourceArn are not available in
  # key policies for EventBridge's deliveries, so neither is used.
  dynamic "statement" {
    for_each = length(local.eventbridge_dead_letter_names) > 0 ? [1] : []

    content {
      sid       = "EventBridgeDeadLettersOfTheModulesRules"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["events.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:sqs:arn"
        values = [
          for name in local.eventbridge_dead_letter_names :
          "arn:${local.partition}:sqs:${local.region}:${local.account_id}:${name}"
        ]
      }
    }
  }

  # The archive bucket notifies the heal queue, which the key encrypts: S3, as
  # a service that sends to an encrypted queue, needs GenerateDataKey and
  # Decrypt in the key policy (S3 user guide, "Granting permissions to publish
  # event notification messages to a destination", its AWS KMS key policy; SQS
  # developer guide, "Configure KMS permissions for AWS services"). S3 checks
  # it when the notification configuration is put, with a test message. SQS
  # binds each data key to the queue (the aws:sqs:arn encryption context):
  # only the heal queue. aws:SourceArn and aws:SourceAccount are not used, as
  # for EventBridge above: nothing documents them on the KMS requests SQS makes
  # for a sending service; the heal queue's own policy holds both.
  dynamic "statement" {
    for_each = local.heal_enabled ? [1] : []

    content {
      sid       = "S3NotifiesTheHealQueue"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = ["*"]

      principals {
        type        = "Service"
        identifiers = ["s3.amazonaws.com"]
      }

      condition {
        test     = "ArnEquals"
        variable = "kms:EncryptionContext:aws:sqs:arn"
        values   = [local.key_heal_queue_arn]
      }
    }
  }
}
