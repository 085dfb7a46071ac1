################################################################################
# What every source role may do: put records into this one stream
################################################################################

data "aws_iam_policy_document" "put_to_stream" {
  count = local.create ? 1 : 0

  statement {
    sid = "PutEventsIntoThisStream"
    actions = [
      "firehose:PutRecord",
      "firehose:PutRecordBatch",
    ]
    resources = [aws_kinesis_firehose_delivery_stream.this["events"].arn]
  }
}

################################################################################
# One role per source service: trusted only by that service, acting for these
# projects or configuration sets in this account (confused-deputy conditions),
# and allowed only to put records into this stream.
################################################################################

locals {
  source_roles = {
    pinpoint = {
      enabled     = local.pinpoint_enabled
      service     = "pinpoint.amazonaws.com"
      sid         = "PinpointAssumesRoleForTheseProjects"
      description = "Role Amazon Pinpoint assumes to stream project events into ${local.delivery_stream_name}."
      source_arns = [
        for key in sort(keys(local.pinpoint_projects)) :
        "arn:${local.partition}:mobiletargeting:${local.region}:${local.account_id}:apps/${local.pinpoint_projects[key]}/*"
      ]
    }
    ses = {
      enabled     = local.ses_enabled
      service     = "ses.amazonaws.com"
      sid         = "SesAssumesRoleForTheseConfigurationSets"
      description = "Role Amazon SES assumes to send configuration set events into ${local.delivery_stream_name}."
      source_arns = [
        for name in sort(tolist(var.ses_configuration_set_names)) :
        "arn:${local.partition}:ses:${local.region}:${local.account_id}:configuration-set/${name}"
      ]
    }
    # AWS End User Messaging SMS: aws_pinpointsmsvoicev2_event_destination needs
    # aws provider >= 6.48, so the caller creates the destination with this role
    # (see the README).
    sms = {
      enabled     = local.sms_enabled
      service     = "sms-voice.amazonaws.com"
      sid         = "SmsVoiceAssumesRoleForTheseConfigurationSets"
      description = "Role AWS End User Messaging SMS assumes to send configuration set events into ${local.delivery_stream_name}."
      source_arns = [
        for name in sort(tolist(var.sms_configuration_set_names)) :
        "arn:${local.partition}:sms-voice:${local.region}:${local.account_id}:configuration-set/${name}"
      ]
    }
  }
  enabled_source_roles = { for key, role in local.source_roles : key => role if role.enabled }
}

data "aws_iam_policy_document" "source_assume" {
  for_each = local.enabled_source_roles

  statement {
    sid     = each.value.sid
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [each.value.service]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = each.value.source_arns
    }
  }
}

resource "aws_iam_role" "source" {
  for_each = local.enabled_source_roles

  name                 = "${local.role_name_prefix}-${each.key}-source"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = each.value.description
  assume_role_policy   = data.aws_iam_policy_document.source_assume[each.key].json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "source" {
  for_each = local.enabled_source_roles

  name   = "put-to-delivery-stream"
  role   = aws_iam_role.source[each.key].id
  policy = data.aws_iam_policy_document.put_to_stream[0].json
}

################################################################################
# Amazon Pinpoint: one event stream per project
################################################################################

locals {
  # Keyed by the ID itself, or by the caller's name for IDs known only after apply.
  pinpoint_projects = merge(
    { for id in var.pinpoint_application_ids : id => id },
    var.pinpoint_applications,
  )

  pinpoint_enabled = local.create && length(local.pinpoint_projects) > 0
  ses_enabled      = local.create && length(var.ses_configuration_set_names) > 0
  sms_enabled      = local.create && length(var.sms_configuration_set_names) > 0

  ses_event_types = [
    "SEND",
    "REJECT",
    "BOUNCE",
    "COMPLAINT",
    "DELIVERY",
    "OPEN",
    "CLICK",
    "RENDERING_FAILURE",
    "DELIVERY_DELAY",
    "SUBSCRIPTION",
  ]
}

resource "aws_pinpoint_event_stream" "this" {
  for_each = local.create ? local.pinpoint_projects : {}

  application_id         = each.value
  destination_stream_arn = aws_kinesis_firehose_delivery_stream.this["events"].arn
  role_arn               = aws_iam_role.source["pinpoint"].arn

  depends_on = [aws_iam_role_policy.source]
}

################################################################################
# Amazon SES: one event destination per configuration set
################################################################################

resource "aws_sesv2_configuration_set_event_destination" "this" {
  for_each = local.create ? var.ses_configuration_set_names : toset([])

  configuration_set_name = each.value
  event_destination_name = var.ses_event_destination_name

  event_destination {
    enabled              = true
    matching_event_types = local.ses_event_types

    kinesis_firehose_destination {
      delivery_stream_arn = aws_kinesis_firehose_delivery_stream.this["events"].arn
      iam_role_arn        = aws_iam_role.source["ses"].arn
    }
  }

  depends_on = [aws_iam_role_policy.source]
}

################################################################################
# AWS End User Messaging SMS: the role its event destinations use.
# aws_pinpointsmsvoicev2_event_destination needs aws provider >= 6.48, so the
# caller creates the destination itself (see the README).
################################################################################
