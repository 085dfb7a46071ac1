# A permissions boundary for the module's roles, as accounts that require one
# define it: the most any role of this pipeline may ever do, whatever policy is
# attached to it. The roles' own policies stay narrower.

data "aws_iam_policy_document" "boundary" {
  statement {
    sid = "ThisPipelinesDataOnly"
    actions = [
      "dynamodb:BatchGetItem",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:Query",
      "firehose:PutRecord",
      "firehose:PutRecordBatch",
      "lambda:GetFunctionConfiguration",
      "lambda:InvokeFunction",
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "s3:AbortMultipartUpload",
      "s3:GetBucketLocation",
      "s3:GetObject",
      "s3:ListBucket",
      "s3:ListBucketMultipartUploads",
      "s3:PutObject",
    ]
    resources = [
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.name}",
      "arn:${local.partition}:dynamodb:${local.region}:${local.account_id}:table/${var.name}/index/*",
      "arn:${local.partition}:firehose:${local.region}:${local.account_id}:deliverystream/${var.name}-*",
      "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:${var.name}-*",
      "arn:${local.partition}:logs:${local.region}:${local.account_id}:log-group:*${var.name}*",
      "arn:${local.partition}:s3:::${var.name}-${local.account_id}-${local.region}",
      "arn:${local.partition}:s3:::${var.name}-${local.account_id}-${local.region}/*",
    ]
  }

  statement {
    sid       = "ThisPipelinesKeyOnly"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.this.arn]
  }

  # For lambda_vpc_config: the module's roles narrow these to their subnets.
  statement {
    sid = "NetworkInterfacesInThisAccount"
    actions = [
      "ec2:AssignPrivateIpAddresses",
      "ec2:CreateNetworkInterface",
      "ec2:DeleteNetworkInterface",
      "ec2:UnassignPrivateIpAddresses",
    ]
    resources = [
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:network-interface/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:security-group/*",
      "arn:${local.partition}:ec2:${local.region}:${local.account_id}:subnet/*",
    ]
  }

  # X-Ray segments and EC2's Describe* calls support no resource-level permissions.
  statement {
    sid = "TracesAndDescriptions"
    actions = [
      "ec2:DescribeNetworkInterfaces",
      "ec2:DescribeSubnets",
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
