# A permissions boundary for the module's roles, as accounts that require one
# define it: the most any role of this pipeline may ever do, whatever policy is
# attached to it. The roles' own policies stay narrower.

locals {
  # The ARNs the module's roles act on, from the names it gives them.
  in_this_account = "${local.region}:${local.account_id}"
}

data "aws_iam_policy_document" "boundary" {
  statement {
    sid = "ThisPipelinesTable"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:BatchWriteItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.in_this_account}:table/${var.name}",
      "arn:${local.partition}:dynamodb:${local.in_this_account}:table/${var.name}/index/*",
    ]
  }

  # The stream function's event-source mapping reads the table's change stream.
  statement {
    sid = "ThisPipelinesTableStream"
    actions = [
      "dynamodb:DescribeStream",
      "dynamodb:GetRecords",
      "dynamodb:GetShardIterator",
    ]
    resources = ["arn:${local.partition}:dynamodb:${local.in_this_account}:table/${var.name}/stream/*"]
  }

  statement {
    sid = "ThisPipelinesStreamsFunctionsAndLogs"
    actions = [
      "firehose:PutRecord",
      "firehose:PutRecordBatch",
      "lambda:GetFunctionConfiguration",
      "lambda:InvokeFunction",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
    ]
    resources = [
      "arn:${local.partition}:firehose:${local.in_this_account}:deliverystream/${var.name}-*",
      "arn:${local.partition}:lambda:${local.in_this_account}:function:${var.name}-*",
      "arn:${local.partition}:logs:${local.in_this_account}:log-group:/aws/lambda/${var.name}-*",
      "arn:${local.partition}:logs:${local.in_this_account}:log-group:/aws/kinesisfirehose/${var.name}-*",
    ]
  }

  statement {
    sid = "ThisPipelinesArchive"
    actions = [
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]
    resources = [
      "arn:${local.partition}:s3:::${var.name}-${local.account_id}-${local.region}",
      "arn:${local.partition}:s3:::${var.name}-${local.account_id}-${local.region}/*",
    ]
  }

  # The heal function removes an error object once its records are stored, or
  # replaces it by its unread rest: only under errors/processing-failed/.
  statement {
    sid       = "ThisPipelinesHealedErrorObjects"
    actions   = ["s3:DeleteObject"]
    resources = ["arn:${local.partition}:s3:::${var.name}-${local.account_id}-${local.region}/errors/processing-failed/*"]
  }

  # Lambda polls the heal queue with the heal function's role.
  statement {
    sid = "ThisPipelinesHealQueue"
    actions = [
      "sqs:DeleteMessage",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
    ]
    resources = ["arn:${local.partition}:sqs:${local.in_this_account}:${var.name}-heal"]
  }

  # Firehose reads the example's Kinesis data stream as one more consumer.
  statement {
    sid = "ThisExamplesKinesisSource"
    actions = [
      "kinesis:DescribeStream",
      "kinesis:GetRecords",
      "kinesis:GetShardIterator",
      "kinesis:ListShards",
    ]
    resources = [aws_kinesis_stream.events.arn]
  }

  # Status events on the pipeline's bus, its webhooks' API destinations, and
  # the queue Lambda describes unpublished batches in.
  statement {
    sid = "ThisPipelinesEventsAndWebhooks"
    actions = [
      "events:InvokeApiDestination",
      "events:PutEvents",
      "sqs:SendMessage",
    ]
    resources = [
      "arn:${local.partition}:events:${local.in_this_account}:event-bus/${var.name}-status",
      "arn:${local.partition}:events:${local.in_this_account}:api-destination/${var.name}-*",
      "arn:${local.partition}:sqs:${local.in_this_account}:${var.name}-*",
    ]
  }

  statement {
    sid       = "ThisPipelinesKeyOnly"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  # For lambda_vpc_config: the module's roles create interfaces only in their
  # subnets and security groups.
  statement {
    sid = "NetworkInterfacesInThisAccount"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.in_this_account}:network-interface/*",
      "arn:${local.partition}:ec2:${local.in_this_account}:security-group/*",
      "arn:${local.partition}:ec2:${local.in_this_account}:subnet/*",
    ]
  }

  # These support no resource-level permissions: "*" is their only resource.
  statement {
    sid = "ActionsWithoutResources"
    actions = [
      "dynamodb:ListStreams",
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
      "ses:GetSuppressedDestination", # the query's recipient page
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_policy" "boundary" {
  name        = "${var.name}-boundary"
  description = "Permissions boundary of the ${var.name} message status pipeline's roles."
  policy      = data.aws_iam_policy_document.boundary.json

  tags = {
    Example = "complete"
  }
}
