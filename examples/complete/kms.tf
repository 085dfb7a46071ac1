# One customer-managed key for the table, bucket, stream, log groups, the
# functions' environment, the status bus and the webhook's dead-letter queue.
# Its policy lets the account's IAM policies use it (the module's roles have
# their statements) and merges what the module's services need:
# kms_key_policy_statements_json, built from names, so the key and the module
# are created in one apply.

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.id
}

data "aws_iam_policy_document" "key" {
  #checkov:skip=CKV_AWS_111:In a key policy, Resource "*" means this key only; the account's IAM policies decide who else may use it.
  #checkov:skip=CKV_AWS_356:In a key policy, Resource "*" means this key only.
  #checkov:skip=CKV_AWS_109:The account root administers its own key (the default key policy); delegation to IAM is intended.
  source_policy_documents = [module.message_status.kms_key_policy_statements_json]

  statement {
    sid       = "AccountAdministersKey"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = ["arn:${local.partition}:iam::${local.account_id}:root"]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "Encrypts the ${var.name} message status pipeline."
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = data.aws_iam_policy_document.key.json

  tags = {
    Example = "complete"
  }
}

resource "aws_kms_alias" "this" {
  name          = "alias/${var.name}"
  target_key_id = aws_kms_key.this.key_id
}
