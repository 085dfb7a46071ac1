################################################################################
# A sender account: its SES and End User Messaging SMS events, forwarded to a
# hub instance's bus in another account or Region
#
# SES publishes a configuration set's events to the account's default bus only
# (EventBridgeDestination: "Only the default bus is supported", CloudFormation's
# AWS::SES::ConfigurationSetEventDestination reference), where End User
# Messaging SMS sends its status events on its own
# ("Monitoring with EventBridge", End User Messaging SMS User Guide; its
# configuration sets' event destinations cannot target EventBridge). A rule per
# source forwards them to the hub's bus with a role that may put events there
# and nowhere else ("Sending and receiving events between AWS accounts in
# Amazon EventBridge": a rule whose target is a bus in another account or
# Region needs a role with events:PutEvents on it).
################################################################################

data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# The delivery events the hub reads: one definition for both sides.
module "event_types" {
  source = "../event-types"
}

locals {
  create = var.create

  partition = data.aws_partition.current.partition
  # id is the Region's name in provider 5.x and 6.x; name is deprecated in 6.x.
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id

  default_bus_arn = "arn:${local.partition}:events:${local.region}:${local.account_id}:event-bus/default"

  # The SES events a configuration set publishes, and the detail-type of each event the
  # hub reads: the hub takes the same from modules/event-types, and its bus policy
  # admits these and no others.
  ses_event_types  = module.event_types.ses_event_types
  ses_detail_types = module.event_types.eventbridge_detail_types["aws.ses"]
  sms_detail_types = module.event_types.eventbridge_detail_types["aws.sms-voice"]

  # One rule per source; SES's only for the events of the given configuration
  # sets (SES tags each mail with its set: ses:configuration-set).
  forwards = {
    for key, rule in {
      ses = {
        enabled = length(var.ses_configuration_set_names) > 0
        pattern = {
          source        = ["aws.ses"]
          "detail-type" = local.ses_detail_types
          detail = {
            mail = { tags = { "ses:configuration-set" = sort(tolist(var.ses_configuration_set_names)) } }
          }
        }
        description = "SES events of the message-status configuration sets, to the hub's bus."
      }
      sms = {
        enabled     = var.sms_enabled
        pattern     = { source = ["aws.sms-voice"], "detail-type" = local.sms_detail_types }
        description = "End User Messaging SMS, MMS and voice status events, to the hub's bus."
      }
    } : key => rule if local.create && rule.enabled
  }
  rule_names = { for key, _ in local.forwards : key => "${var.name}-${key}-to-hub" }
  # Built from its parts, so that the role's trust policy can name the rules before they exist.
  rule_arns = {
    for key, name in local.rule_names : key => "arn:${local.partition}:events:${local.region}:${local.account_id}:rule/${name}"
  }
}

resource "aws_sesv2_configuration_set_event_destination" "this" {
  for_each = local.create ? var.ses_configuration_set_names : toset([])

  configuration_set_name = each.value
  event_destination_name = var.ses_event_destination_name

  event_destination {
    enabled              = true
    matching_event_types = local.ses_event_types

    event_bridge_destination {
      event_bus_arn = local.default_bus_arn
    }
  }
}

resource "aws_cloudwatch_event_rule" "forward" {
  for_each = local.forwards

  name           = local.rule_names[each.key]
  description    = each.value.description
  event_bus_name = "default"
  event_pattern  = jsonencode(each.value.pattern)
  tags           = var.tags
}

resource "aws_cloudwatch_event_target" "forward" {
  for_each = local.forwards

  rule           = aws_cloudwatch_event_rule.forward[each.key].name
  event_bus_name = "default"
  target_id      = "hub"
  arn            = var.hub_event_bus_arn
  role_arn       = aws_iam_role.forward[0].arn

  depends_on = [aws_iam_role_policy.forward]
}

################################################################################
# The forwarding role: trusted only by EventBridge for these rules in this
# account, and allowed only to put events on the hub's bus
################################################################################

data "aws_iam_policy_document" "assume" {
  count = length(local.forwards) > 0 ? 1 : 0

  statement {
    sid     = "EventBridgeAssumesRoleForTheseRules"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [for key in sort(keys(local.rule_arns)) : local.rule_arns[key]]
    }
  }
}

resource "aws_iam_role" "forward" {
  count = length(local.forwards) > 0 ? 1 : 0

  # IAM is global: the Region in the name lets one account forward from several.
  name                 = "${var.name}-forward-to-hub-${local.region}"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Role EventBridge uses to forward message events to the message-status hub's bus."
  assume_role_policy   = data.aws_iam_policy_document.assume[0].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "forward" {
  count = length(local.forwards) > 0 ? 1 : 0

  statement {
    sid       = "PutEventsOnTheHubsBusOnly"
    actions   = ["events:PutEvents"]
    resources = [var.hub_event_bus_arn]
  }
}

resource "aws_iam_role_policy" "forward" {
  count = length(local.forwards) > 0 ? 1 : 0

  name   = "put-events-on-hub-bus"
  role   = aws_iam_role.forward[0].id
  policy = data.aws_iam_policy_document.forward[0].json
}
