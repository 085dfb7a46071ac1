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

  # The SES events a configuration set publishes to the stream (modules/event-types,
  # shared with modules/sender-account).
  ses_event_types = module.event_types.ses_event_types
}

resource "aws_pinpoint_event_stream" "this" {
  for_each = local.create ? local.pinpoint_projects : {}

  application_id         = each.value
  destination_stream_arn = aws_kinesis_firehose_delivery_stream.this["events"].arn
  role_arn               = aws_iam_role.source["pinpoint"].arn

  depends_on = [aws_iam_role_policy.source]
}

# Amazon Pinpoint reached end of support on 2026-10-30, and the AWS provider
# deprecates aws_pinpoint_event_stream: the inputs stay for projects that still
# stream, and a plan that uses them warns (a check block warns, never fails).
check "pinpoint_end_of_support" {
  assert {
    condition     = !local.pinpoint_enabled
    error_message = "pinpoint_application_ids and pinpoint_applications are deprecated: Amazon Pinpoint reached end of support on 2026-10-30 and its project event streams are discontinued (aws_pinpoint_event_stream is deprecated in the AWS provider). Send email with SES configuration sets (ses_configuration_set_names) and SMS with End User Messaging SMS v2 configuration sets (sms_configuration_set_names), then drop these inputs: docs/migrating-from-pinpoint.md gives the order that loses no events. Pinpoint-format events already in a Kinesis data stream keep arriving through kinesis_source_stream_arns."
  }
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
# AWS End User Messaging SMS: aws_pinpointsmsvoicev2_event_destination needs
# aws provider >= 6.48, so the caller creates the destination itself with the
# sms source role (iam.tf; see the README).
################################################################################
