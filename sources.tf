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
    resources = [aws_kinesis_firehose_delivery_stream.this[0].arn]
  }
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

data "aws_iam_policy_document" "pinpoint_assume" {
  count = local.pinpoint_enabled ? 1 : 0

  statement {
    sid     = "PinpointAssumesRoleForTheseProjects"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["pinpoint.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        for key in sort(keys(local.pinpoint_projects)) :
        "arn:${local.partition}:mobiletargeting:${local.region}:${local.account_id}:apps/${local.pinpoint_projects[key]}/*"
      ]
    }
  }
}

resource "aws_iam_role" "pinpoint" {
  count = local.pinpoint_enabled ? 1 : 0

  name               = "${var.name}-pinpoint-source"
  description        = "Role Amazon Pinpoint assumes to stream project events into ${local.delivery_stream_name}."
  assume_role_policy = data.aws_iam_policy_document.pinpoint_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "pinpoint" {
  count = local.pinpoint_enabled ? 1 : 0

  name   = "put-to-delivery-stream"
  role   = aws_iam_role.pinpoint[0].id
  policy = data.aws_iam_policy_document.put_to_stream[0].json
}

resource "aws_pinpoint_event_stream" "this" {
  for_each = local.create ? local.pinpoint_projects : {}

  application_id         = each.value
  destination_stream_arn = aws_kinesis_firehose_delivery_stream.this[0].arn
  role_arn               = aws_iam_role.pinpoint[0].arn

  depends_on = [aws_iam_role_policy.pinpoint]
}

################################################################################
# Amazon SES: one event destination per configuration set
################################################################################

data "aws_iam_policy_document" "ses_assume" {
  count = local.ses_enabled ? 1 : 0

  statement {
    sid     = "SesAssumesRoleForTheseConfigurationSets"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ses.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        for name in sort(tolist(var.ses_configuration_set_names)) :
        "arn:${local.partition}:ses:${local.region}:${local.account_id}:configuration-set/${name}"
      ]
    }
  }
}

resource "aws_iam_role" "ses" {
  count = local.ses_enabled ? 1 : 0

  name               = "${var.name}-ses-source"
  description        = "Role Amazon SES assumes to send configuration set events into ${local.delivery_stream_name}."
  assume_role_policy = data.aws_iam_policy_document.ses_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "ses" {
  count = local.ses_enabled ? 1 : 0

  name   = "put-to-delivery-stream"
  role   = aws_iam_role.ses[0].id
  policy = data.aws_iam_policy_document.put_to_stream[0].json
}

resource "aws_sesv2_configuration_set_event_destination" "this" {
  for_each = local.create ? var.ses_configuration_set_names : toset([])

  configuration_set_name = each.value
  event_destination_name = var.ses_event_destination_name

  event_destination {
    enabled              = true
    matching_event_types = local.ses_event_types

    kinesis_firehose_destination {
      delivery_stream_arn = aws_kinesis_firehose_delivery_stream.this[0].arn
      iam_role_arn        = aws_iam_role.ses[0].arn
    }
  }

  depends_on = [aws_iam_role_policy.ses]
}

################################################################################
# AWS End User Messaging SMS: the role its event destinations use.
# aws_pinpointsmsvoicev2_event_destination needs aws provider >= 6.48, so the
# caller creates the destination itself (see the README).
################################################################################

data "aws_iam_policy_document" "sms_assume" {
  count = local.sms_enabled ? 1 : 0

  statement {
    sid     = "SmsVoiceAssumesRoleForTheseConfigurationSets"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["sms-voice.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        for name in sort(tolist(var.sms_configuration_set_names)) :
        "arn:${local.partition}:sms-voice:${local.region}:${local.account_id}:configuration-set/${name}"
      ]
    }
  }
}

resource "aws_iam_role" "sms" {
  count = local.sms_enabled ? 1 : 0

  name               = "${var.name}-sms-source"
  description        = "Role AWS End User Messaging SMS assumes to send configuration set events into ${local.delivery_stream_name}."
  assume_role_policy = data.aws_iam_policy_document.sms_assume[0].json
  tags               = var.tags
}

resource "aws_iam_role_policy" "sms" {
  count = local.sms_enabled ? 1 : 0

  name   = "put-to-delivery-stream"
  role   = aws_iam_role.sms[0].id
  policy = data.aws_iam_policy_document.put_to_stream[0].json
}
