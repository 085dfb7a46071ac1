data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# The delivery events the module reads (sources.tf, senders.tf): one definition,
# shared with modules/sender-account.
module "event_types" {
  source = "./modules/event-types"
}

locals {
  create = var.create

  partition = data.aws_partition.current.partition
  # id is the Region's name in provider 5.x and 6.x; name is deprecated in 6.x.
  region     = data.aws_region.current.id
  account_id = data.aws_caller_identity.current.account_id

  role_name_prefix = coalesce(var.iam_role_name_prefix, var.name)

  transform_function_name = "${var.name}-transform"
  query_function_name     = "${var.name}-query"
  stream_function_name    = "${var.name}-stream"
  heal_function_name      = "${var.name}-heal"
  delivery_stream_name    = "${var.name}-events"
  # Account and Region make the name globally unique; name is at most 32 characters.
  archive_bucket_name = "${var.name}-${local.account_id}-${local.region}"


  # Powertools for AWS Lambda (Python) v3, published by AWS in account 017000801446
  # per Region, Python version and architecture.
  powertools_managed_layer_arn = format(
    "arn:%s:lambda:%s:017000801446:layer:AWSLambdaPowertoolsPythonV3-%s-%s:%d",
    local.partition,
    local.region,
    replace(var.lambda_runtime, ".", ""),
    var.lambda_architecture,
    var.powertools_layer_version,
  )
  powertools_layers = (
    var.powertools_layer_arn == null ? [] :
    var.powertools_layer_arn == "aws-managed" ? [local.powertools_managed_layer_arn] :
    [var.powertools_layer_arn]
  )

  # The caller's extra variables first: the module's own keys win (the input's
  # validation also refuses them, with a clearer message).
  lambda_environment_common = merge(var.lambda_environment_variables, {
    POWERTOOLS_METRICS_NAMESPACE = var.metrics_namespace
    POWERTOOLS_LOG_LEVEL         = var.powertools_log_level
    # Both functions must agree on the outcome index's shards.
    SEARCH_SHARDS = tostring(var.search_shards)
    # Traces never hold handler responses or errors: they carry recipients'
    # addresses, and X-Ray is readable by more people than the table is. The
    # code says so on every decorator too; these make it the default of any
    # Tracer a layer of the caller's adds.
    POWERTOOLS_TRACER_CAPTURE_RESPONSE = "false"
    POWERTOOLS_TRACER_CAPTURE_ERROR    = "false"
  })

  kms_enabled = var.kms_key_arn != null

  # The table's global secondary indexes (storage.tf), which the query may Query.
  table_indexes = ["by_recipient", "by_correlation", "by_outcome", "by_tenant"]
}
