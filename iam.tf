################################################################################
# Shared statements
################################################################################

data "aws_iam_policy_document" "lambda_assume" {
  count = local.create ? 1 : 0

  statement {
    sid     = "LambdaAssumesExecutionRole"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

################################################################################
# VPC: the network-interface permissions Lambda needs to attach a function to
# the caller's subnets (Lambda developer guide, "Giving Lambda functions access
# to resources in an Amazon VPC": the execution role's permissions)
################################################################################

locals {
  vpc_enabled = local.create && var.lambda_vpc_config != null
  vpc_subnet_arns = [
    for id in try(var.lambda_vpc_config.subnet_ids, []) :
    "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/${id}"
  ]
  vpc_security_group_arns = [
    for id in try(var.lambda_vpc_config.security_group_ids, []) :
    "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/${id}"
  ]
  network_interfaces_arn = "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*"
}

data "aws_iam_policy_document" "vpc_access" {
  count = local.vpc_enabled ? 1 : 0

  # New interfaces only in these subnets, with these security groups.
  statement {
    sid       = "CreateInterfacesInTheseSubnets"
    actions   = ["ec2:CreateNetworkInterface"]
    resources = concat([local.network_interfaces_arn], local.vpc_subnet_arns, local.vpc_security_group_arns)
  }

  # Addresses for the interfaces in use, which are in these subnets.
  statement {
    sid       = "AssignAddressesInTheseSubnets"
    actions   = ["ec2:AssignPrivateIpAddresses"]
    resources = [local.network_interfaces_arn]

    condition {
      test     = "ArnEquals"
      variable = "ec2:Subnet"
      values   = local.vpc_subnet_arns
    }
  }

  # Lambda cleans up with the function's role, also the interfaces it made in
  # subnets the function has since left (a change of subnet_ids): scoped to the
  # current subnets, it could not, and the function's old interfaces would keep
  # those subnets and security groups from being deleted. AWS's guide asks for
  # this action on every interface ID; DeleteNetworkInterface deletes detached
  # interfaces only.
  statement {
    sid = "CleanUpInterfacesInThisAccount"
    actions = [
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [local.network_interfaces_arn]
  }

  # EC2's Describe* actions support no resource-level permissions: "*" only.
  statement {
    sid       = "DescribeInterfaces"
    actions   = ["ec2:DescribeNetworkInterfaces", "ec2:DescribeSubnets"]
    resources = ["*"]
  }
}

################################################################################
# What every function's role needs besides its own work: its log group, X-Ray,
# the customer-managed key, and with lambda_vpc_config its network interfaces
################################################################################

data "aws_iam_policy_document" "function_basics" {
  for_each = local.functions

  source_policy_documents = local.vpc_enabled ? [data.aws_iam_policy_document.vpc_access[0].json] : []

  statement {
    sid       = "WriteOwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.function[each.key].arn}:*"]
  }

  # X-Ray trace segments belong to no resource: these actions support only "*".
  statement {
    sid       = "SendTraces"
    actions   = ["xray:PutTelemetryRecords", "xray:PutTraceSegments"]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = local.kms_enabled ? [1] : []

    content {
      sid       = "UseCustomerManagedKey"
      actions   = each.value.kms_actions
      resources = [var.kms_key_arn]
    }
  }
}

################################################################################
# The functions' execution roles (local.functions in lambda.tf): the basics,
# then each function's own statements
################################################################################

resource "aws_iam_role" "function" {
  for_each = local.functions

  name                 = "${local.role_name_prefix}-${each.key}"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Execution role of the ${each.value.name} Lambda function."
  assume_role_policy   = data.aws_iam_policy_document.lambda_assume[0].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "function" {
  for_each = local.functions

  source_policy_documents = [data.aws_iam_policy_document.function_basics[each.key].json]

  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid       = statement.value.sid
      actions   = statement.value.actions
      resources = statement.value.resources
    }
  }
}

resource "aws_iam_role_policy" "function" {
  for_each = local.functions

  name   = each.value.policy_name
  role   = aws_iam_role.function[each.key].id
  policy = data.aws_iam_policy_document.function[each.key].json
}

# Moved from one written-out role per function (iam.tf, and events.tf for the
# stream function) to the map.
moved {
  from = aws_iam_role.transform[0]
  to   = aws_iam_role.function["transform"]
}

moved {
  from = aws_iam_role.query[0]
  to   = aws_iam_role.function["query"]
}

moved {
  from = aws_iam_role.stream[0]
  to   = aws_iam_role.function["stream"]
}

moved {
  from = aws_iam_role_policy.transform[0]
  to   = aws_iam_role_policy.function["transform"]
}

moved {
  from = aws_iam_role_policy.query[0]
  to   = aws_iam_role_policy.function["query"]
}

moved {
  from = aws_iam_role_policy.stream[0]
  to   = aws_iam_role_policy.function["stream"]
}

################################################################################
# Firehose: invoke the transform, write to the archive bucket
################################################################################

data "aws_iam_policy_document" "firehose_assume" {
  count = local.create ? 1 : 0

  statement {
    sid     = "FirehoseAssumesRoleForThisStream"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["firehose.amazonaws.com"]
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
        for key, _ in local.delivery_streams :
        "arn:${local.partition}:firehose:${local.region}:${local.account_id}:deliverystream/${var.name}-${key}"
      ]
    }
  }
}

resource "aws_iam_role" "firehose" {
  count = local.create ? 1 : 0

  name                 = "${local.role_name_prefix}-firehose"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Role the ${local.delivery_stream_name} delivery stream uses to transform and archive events."
  assume_role_policy   = data.aws_iam_policy_document.firehose_assume[0].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "firehose" {
  count = local.create ? 1 : 0

  statement {
    sid = "InvokeTransform"
    actions = [
      "lambda:GetFunctionConfiguration",
      "lambda:InvokeFunction",
    ]
    resources = [
      aws_lambda_function.this["transform"].arn,
      "${aws_lambda_function.this["transform"].arn}:*",
    ]
  }

  statement {
    sid = "ArchiveToBucket"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]
    resources = [
      aws_s3_bucket.archive[0].arn,
      "${aws_s3_bucket.archive[0].arn}/*",
    ]
  }

  statement {
    sid       = "WriteDeliveryLogs"
    actions   = ["logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.firehose[0].arn}:*"]
  }

  # Read access only: Firehose is one more consumer of each stream, so no
  # enhanced fan-out consumer is registered and nothing else changes on it.
  dynamic "statement" {
    for_each = length(var.kinesis_source_stream_arns) > 0 ? [1] : []

    content {
      sid = "ReadKinesisSources"
      actions = [
        "kinesis:DescribeStream",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
      ]
      resources = local.kinesis_source_stream_arns
    }
  }

  # Records of a KMS-encrypted stream are decrypted by Kinesis on Firehose's
  # behalf: only through Kinesis, and only for these streams.
  dynamic "statement" {
    for_each = length(var.kinesis_source_kms_key_arns) > 0 ? [1] : []

    content {
      sid       = "DecryptKinesisSources"
      actions   = ["kms:Decrypt"]
      resources = var.kinesis_source_kms_key_arns

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["kinesis.${local.region}.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "kms:EncryptionContext:aws:kinesis:arn"
        values   = local.kinesis_source_stream_arns
      }
    }
  }

  dynamic "statement" {
    for_each = local.kms_enabled ? [1] : []

    content {
      sid       = "EncryptArchiveObjects"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]

      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "firehose" {
  count = local.create ? 1 : 0

  name   = "transform-and-archive"
  role   = aws_iam_role.firehose[0].id
  policy = data.aws_iam_policy_document.firehose[0].json
}

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
# The roles EventBridge uses for the module's rules: each trusted only by
# EventBridge for its own rule in this account. One per webhook (webhooks.tf),
# allowed only to invoke that webhook's API destination; one for the sender
# accounts' rule (senders.tf), allowed only to put records into this stream.
################################################################################

locals {
  eventbridge_role_rules = merge(
    { for name, arn in local.webhook_rule_arns : "webhook-${name}" => arn },
    local.senders_enabled ? { senders = local.senders_rule_arn } : {},
  )
}

data "aws_iam_policy_document" "eventbridge_assume" {
  for_each = local.eventbridge_role_rules

  statement {
    sid     = "EventBridgeAssumesRoleForThisRule"
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
      values   = [each.value]
    }
  }
}

resource "aws_iam_role" "webhook" {
  for_each = local.webhooks

  name                 = "${local.role_name_prefix}-webhook-${each.key}"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Role EventBridge uses to call the ${each.key} status webhook."
  assume_role_policy   = data.aws_iam_policy_document.eventbridge_assume["webhook-${each.key}"].json
  tags                 = var.tags
}

data "aws_iam_policy_document" "webhook" {
  for_each = local.webhooks

  statement {
    sid       = "InvokeThisApiDestination"
    actions   = ["events:InvokeApiDestination"]
    resources = [aws_cloudwatch_event_api_destination.webhook[each.key].arn]
  }
}

resource "aws_iam_role_policy" "webhook" {
  for_each = local.webhooks

  name   = "invoke-api-destination"
  role   = aws_iam_role.webhook[each.key].id
  policy = data.aws_iam_policy_document.webhook[each.key].json
}

resource "aws_iam_role" "senders" {
  count = local.senders_enabled ? 1 : 0

  name                 = "${local.role_name_prefix}-senders"
  path                 = var.iam_role_path
  permissions_boundary = var.iam_permissions_boundary_arn
  description          = "Role EventBridge uses to put the sender accounts' events into ${local.delivery_stream_name}."
  assume_role_policy   = data.aws_iam_policy_document.eventbridge_assume["senders"].json
  tags                 = var.tags
}

resource "aws_iam_role_policy" "senders" {
  count = local.senders_enabled ? 1 : 0

  name   = "put-to-delivery-stream"
  role   = aws_iam_role.senders[0].id
  policy = data.aws_iam_policy_document.put_to_stream[0].json
}
