################################################################################
# General
################################################################################

variable "create" {
  type        = bool
  description = "Whether to create any resources. Set to false to keep a module block in place while deploying nothing."
  default     = true
}

variable "name" {
  type        = string
  description = "Prefix for every resource name, so that several instances can live in one account and Region. 1 to 32 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit."

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, and start and end with a letter or digit (it becomes part of S3, Lambda, IAM and Firehose names)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every taggable resource the module creates."
  default     = {}
}

variable "kms_key_arn" {
  type        = string
  description = "ARN of a customer-managed KMS key that encrypts the table, the archive bucket, the delivery stream, the log groups, the functions' environment, Athena's results, with status events a created bus and the module's queues, and with healing the heal queues. Null uses AWS-owned or AWS-managed keys. The key policy must let the account's IAM policies use the key and include the kms_key_policy_statements_json output (CloudWatch Logs, EventBridge and S3), as examples/complete does."
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be null or a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (aliases are not accepted)."
  }
}

variable "log_retention_days" {
  type        = number
  description = "How many days the module's CloudWatch log groups (functions, Firehose, API access logs) keep events. One of the values CloudWatch Logs accepts: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be one of 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653."
  }
}

################################################################################
# IAM
################################################################################

variable "iam_role_name_prefix" {
  type        = string
  description = "Prefix of every IAM role the module creates (<prefix>-transform, <prefix>-query, <prefix>-firehose, <prefix>-ses-source, ...). Null uses name. 1 to 38 characters of letters, digits and + = , . @ _ -, so that every role name fits IAM's 64-character limit."
  default     = null

  validation {
    condition     = var.iam_role_name_prefix == null || can(regex("^[a-zA-Z0-9+=,.@_-]{1,38}$", var.iam_role_name_prefix))
    error_message = "iam_role_name_prefix must be null or 1-38 letters, digits and + = , . @ _ - (role names are limited to 64 characters)."
  }
}

variable "iam_role_path" {
  type        = string
  description = "Path of every IAM role the module creates, for organisations that group roles by path (for example /message-status/). Must begin and end with a slash."
  default     = "/"

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{0,510}/)?$", var.iam_role_path))
    error_message = "iam_role_path must be / or a path that begins and ends with a slash, such as /message-status/ (printable ASCII, at most 512 characters)."
  }
}

variable "iam_permissions_boundary_arn" {
  type        = string
  description = "ARN of an IAM managed policy set as the permissions boundary of every role the module creates, for accounts that require one. Null sets none."
  default     = null

  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::([0-9]{12}|aws):policy/.+$", var.iam_permissions_boundary_arn))
    error_message = "iam_permissions_boundary_arn must be null or an IAM policy ARN such as arn:aws:iam::123456789012:policy/boundary."
  }
}

################################################################################
# Sources
################################################################################

variable "pinpoint_application_ids" {
  type        = set(string)
  description = "Deprecated: Amazon Pinpoint reached end of support on 2026-10-30 and its project event streams are discontinued; a plan that sets this warns. IDs of existing Pinpoint projects whose event streams the module points at its delivery stream, one aws_pinpoint_event_stream each (a project has one event stream, so this replaces any it has). Move to ses_configuration_set_names and sms_configuration_set_names (docs/migrating-from-pinpoint.md)."
  default     = []

  validation {
    condition     = alltrue([for id in var.pinpoint_application_ids : can(regex("^[a-zA-Z0-9]{1,64}$", id))])
    error_message = "Each Pinpoint application ID must be alphanumeric (for example 0123456789abcdef0123456789abcdef)."
  }
}

variable "pinpoint_applications" {
  type        = map(string)
  description = "Deprecated like pinpoint_application_ids (Amazon Pinpoint reached end of support on 2026-10-30; a plan that sets this warns). Pinpoint project IDs keyed by a name of your choosing, for IDs known only after apply: Terraform needs for_each keys at plan time, and the map's keys are."
  default     = {}

  validation {
    condition     = alltrue([for key, id in var.pinpoint_applications : can(regex("^[a-zA-Z0-9_-]{1,64}$", key))])
    error_message = "Each key of pinpoint_applications must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "ses_configuration_set_names" {
  type        = set(string)
  description = "Names of existing Amazon SES (v2) configuration sets that get an enabled event destination sending SEND, REJECT, BOUNCE, COMPLAINT, DELIVERY, OPEN, CLICK, RENDERING_FAILURE, DELIVERY_DELAY and SUBSCRIPTION events to the delivery stream."
  default     = []

  validation {
    condition     = alltrue([for n in var.ses_configuration_set_names : can(regex("^[a-zA-Z0-9_-]{1,64}$", n))])
    error_message = "Each SES configuration set name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "sms_configuration_set_names" {
  type        = set(string)
  description = "Names of AWS End User Messaging SMS (pinpoint-sms-voice-v2) configuration sets. The module creates the IAM role that sms-voice.amazonaws.com assumes to put their events into the delivery stream; you add the event destination itself (see the README), because its Terraform resource needs aws provider 6.48 or newer."
  default     = []

  validation {
    condition     = alltrue([for n in var.sms_configuration_set_names : can(regex("^[a-zA-Z0-9_-]{1,64}$", n))])
    error_message = "Each SMS configuration set name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "kinesis_source_stream_arns" {
  type        = map(string)
  description = "Existing Kinesis data streams that carry Pinpoint, SES or SMS v2 events (for example the stream a Pinpoint project wrote to, whose records stay readable for the stream's retention), by a short key of your choice. Each gets a delivery stream of its own, `<name>-kinesis-<key>`, that reads the stream with a Kinesis source and sends its records through the same transform, archive and error output as the direct stream. Firehose reads as one more consumer of the stream's shared throughput: other consumers keep reading, and a failed delivery is read again, never skipped. Keys: 1-23 lowercase letters, digits or hyphens, so that names stay within Firehose's 64 characters. A stream's ARN can be unknown until apply."
  default     = {}

  validation {
    condition     = alltrue([for key in keys(var.kinesis_source_stream_arns) : can(regex("^[a-z0-9]([a-z0-9-]{0,21}[a-z0-9])?$", key))])
    error_message = "Each kinesis_source_stream_arns key must be 1-23 lowercase letters, digits or hyphens, starting and ending with a letter or digit (it becomes part of the delivery stream's name)."
  }

  validation {
    condition     = alltrue([for arn in values(var.kinesis_source_stream_arns) : can(regex("^arn:aws[a-zA-Z-]*:kinesis:[a-z0-9-]+:[0-9]{12}:stream/[a-zA-Z0-9_.-]{1,128}$", arn))])
    error_message = "Each kinesis_source_stream_arns value must be a Kinesis data stream ARN such as arn:aws:kinesis:us-east-1:123456789012:stream/pinpoint-events."
  }

  validation {
    condition     = length(distinct(values(var.kinesis_source_stream_arns))) == length(var.kinesis_source_stream_arns)
    error_message = "kinesis_source_stream_arns names the same stream twice: each stream needs one delivery stream only, or every event would be merged twice."
  }
}

variable "kinesis_source_kms_key_arns" {
  type        = list(string)
  description = "ARNs of the customer-managed KMS keys that encrypt the streams in kinesis_source_stream_arns, if any. The Firehose role may then decrypt with them only through Kinesis and only for those streams (kms:ViaService and the aws:kinesis:arn encryption context). Streams encrypted with the AWS-managed key (aws/kinesis) need nothing here."
  default     = []

  validation {
    condition     = alltrue([for arn in var.kinesis_source_kms_key_arns : can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-zA-Z0-9-]+$", arn))])
    error_message = "Each kinesis_source_kms_key_arns entry must be a KMS key ARN such as arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab (aliases are not accepted: IAM authorizes the key)."
  }

  validation {
    condition     = length(var.kinesis_source_kms_key_arns) == 0 || length(var.kinesis_source_stream_arns) > 0
    error_message = "kinesis_source_kms_key_arns is set but kinesis_source_stream_arns is empty: name the streams the keys encrypt."
  }
}

variable "ses_event_destination_name" {
  type        = string
  description = "Name of the event destination the module adds to each SES configuration set."
  default     = "message-status"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.ses_event_destination_name))
    error_message = "ses_event_destination_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "sender_account_ids" {
  type        = set(string)
  description = "AWS accounts whose SES and End User Messaging SMS events this instance receives, forwarded by modules/sender-account from any Region through an EventBridge bus the module creates (<name>-senders). Its resource policy admits only these accounts, and only the events the module reads. Each message then answers with the account and Region it was sent from. The instance's own account may be named too, to forward from its other Regions. Leave empty with sender_organization_id, or for no senders."
  default     = []

  validation {
    condition     = alltrue([for id in var.sender_account_ids : can(regex("^[0-9]{12}$", id))])
    error_message = "Each sender_account_ids entry must be an AWS account id: 12 digits."
  }
}

variable "sender_organization_id" {
  type        = string
  description = "An AWS Organizations id (o-...): every account of the organization may forward its SES and End User Messaging SMS events, as with sender_account_ids (aws:PrincipalOrgID on the bus policy). Null for none. Give this or sender_account_ids, not both."
  default     = null

  validation {
    condition     = var.sender_organization_id == null || can(regex("^o-[a-z0-9]{10,32}$", var.sender_organization_id))
    error_message = "sender_organization_id must be null or an AWS Organizations id: o- followed by 10 to 32 lowercase letters or digits."
  }
}

################################################################################
# Data: table, archive and retention
################################################################################

variable "message_retention_days" {
  type        = number
  description = "How many days a message's status is kept after it was sent: the table's TTL (its items and index entries, through the transform's RETENTION_DAYS) and the archive bucket's lifecycle expiry."
  default     = 90

  validation {
    condition     = var.message_retention_days >= 1 && floor(var.message_retention_days) == var.message_retention_days
    error_message = "message_retention_days must be a whole number of days, 1 or more."
  }
}

variable "correlation_key" {
  type        = string
  description = "Name of the SES message tag, the End User Messaging SMS Context key and the Pinpoint event attribute (from the Context of a message sent through Pinpoint) that carry your own id for a message (an order or ticket id), so that GET /messages?correlation_id=... finds it. Set the tag when sending: SES EmailTags [{Name = <key>, Value = <id>}]; SMS v2 SendTextMessage Context {<key> = <id>}. Null (the default) indexes none. Each message with a value costs one more index write, once."
  default     = null

  validation {
    condition     = var.correlation_key == null || can(regex("^[a-zA-Z0-9_-]{1,256}$", var.correlation_key))
    error_message = "correlation_key must be null or 1-256 letters, digits, underscores or hyphens (the characters SES message tag names allow)."
  }
}

variable "search_shards" {
  type        = number
  description = "Partitions of the outcome index per status, and of the tenant index per SES tenant (1-8). Each sustains about 1,000 index writes a second, so a status can be reached by (or a tenant send) search_shards x 1,000 messages a second (a bounce storm) before writes throttle; every status or tenant search queries all of them in parallel. Raise it before a storm, not after: a lower value no longer finds entries written to the higher shards."
  default     = 4

  validation {
    condition     = var.search_shards >= 1 && var.search_shards <= 8 && floor(var.search_shards) == var.search_shards
    error_message = "search_shards must be a whole number from 1 to 8."
  }
}

variable "point_in_time_recovery_enabled" {
  type        = bool
  description = "Whether the DynamoDB table keeps continuous backups for point-in-time recovery."
  default     = true
}

variable "deletion_protection_enabled" {
  type        = bool
  description = "Whether the DynamoDB table refuses to be deleted until this is turned off."
  default     = false
}

variable "archive_versioning_enabled" {
  type        = bool
  description = "Whether the archive bucket keeps object versions. Noncurrent versions expire after message_retention_days too."
  default     = false
}

variable "force_destroy" {
  type        = bool
  description = "Whether destroying the module empties and deletes the archive bucket even when it still holds objects. Leave false in production."
  default     = false
}

################################################################################
# Firehose
################################################################################

variable "processor_buffer_interval_seconds" {
  type        = number
  description = "Longest time (0-900 s) Firehose waits to batch records before it invokes the transform function. Lower values make a status visible sooner; higher values mean fewer, larger invocations and so less cost. The AWS default is 60 s."
  default     = 10

  validation {
    condition     = var.processor_buffer_interval_seconds >= 0 && var.processor_buffer_interval_seconds <= 900 && floor(var.processor_buffer_interval_seconds) == var.processor_buffer_interval_seconds
    error_message = "processor_buffer_interval_seconds must be a whole number between 0 and 900."
  }
}

variable "processor_buffer_size_mb" {
  type        = number
  description = "Largest batch (0.2-3 MiB) Firehose collects before it invokes the transform function, whichever of size and interval comes first. Smaller batches lower latency under load; larger batches mean fewer invocations."
  default     = 1

  validation {
    condition     = var.processor_buffer_size_mb >= 0.2 && var.processor_buffer_size_mb <= 3
    error_message = "processor_buffer_size_mb must be between 0.2 and 3."
  }
}

variable "archive_buffer_interval_seconds" {
  type        = number
  description = "Longest time (0-900 s) Firehose buffers transformed records before writing an object to the archive bucket. The archive is not on the query path, so larger values (fewer, bigger objects) are cheaper."
  default     = 300

  validation {
    condition     = var.archive_buffer_interval_seconds >= 0 && var.archive_buffer_interval_seconds <= 900 && floor(var.archive_buffer_interval_seconds) == var.archive_buffer_interval_seconds
    error_message = "archive_buffer_interval_seconds must be a whole number between 0 and 900."
  }
}

variable "archive_buffer_size_mb" {
  type        = number
  description = "Largest amount of data (1-128 MiB) Firehose buffers before writing an object to the archive bucket."
  default     = 64

  validation {
    condition     = var.archive_buffer_size_mb >= 1 && var.archive_buffer_size_mb <= 128 && floor(var.archive_buffer_size_mb) == var.archive_buffer_size_mb
    error_message = "archive_buffer_size_mb must be a whole number between 1 and 128."
  }
}

variable "raw_backup_enabled" {
  type        = bool
  description = "Whether Firehose also writes every source record, untransformed, under the raw/ prefix of the archive bucket."
  default     = false
}

################################################################################
# Lambda
################################################################################

variable "lambda_runtime" {
  type        = string
  description = "Python runtime of every function: python3.12, python3.13 or python3.14."
  default     = "python3.12"

  validation {
    condition     = contains(["python3.12", "python3.13", "python3.14"], var.lambda_runtime)
    error_message = "lambda_runtime must be python3.12, python3.13 or python3.14."
  }
}

variable "lambda_architecture" {
  type        = string
  description = "Instruction set of every function: arm64 (cheaper per GB-second) or x86_64."
  default     = "arm64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be arm64 or x86_64."
  }
}

variable "powertools_layer_arn" {
  type        = string
  description = "Lambda layer that provides Powertools for AWS Lambda (Python) to every function. \"aws-managed\" (the default) picks the AWS-managed Powertools v3 layer for the Region, runtime and architecture; a layer version ARN uses that layer; null attaches no layer (the code must then bring its own Powertools)."
  default     = "aws-managed"

  validation {
    condition     = var.powertools_layer_arn == null || var.powertools_layer_arn == "aws-managed" || can(regex("^arn:aws[a-zA-Z-]*:lambda:[a-z0-9-]+:[0-9]{12}:layer:[a-zA-Z0-9_-]+:[0-9]+$", var.powertools_layer_arn))
    error_message = "powertools_layer_arn must be \"aws-managed\", null, or a Lambda layer version ARN (arn:aws:lambda:REGION:ACCOUNT:layer:NAME:VERSION)."
  }
}

variable "powertools_layer_version" {
  type        = number
  description = "Version of the AWS-managed Powertools v3 layer used when powertools_layer_arn is \"aws-managed\"."
  default     = 27

  validation {
    condition     = var.powertools_layer_version >= 1 && floor(var.powertools_layer_version) == var.powertools_layer_version
    error_message = "powertools_layer_version must be a positive whole number."
  }
}

variable "powertools_log_level" {
  type        = string
  description = "Log level of every function (POWERTOOLS_LOG_LEVEL): DEBUG, INFO, WARNING, ERROR or CRITICAL."
  default     = "INFO"

  validation {
    condition     = contains(["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"], var.powertools_log_level)
    error_message = "powertools_log_level must be DEBUG, INFO, WARNING, ERROR or CRITICAL."
  }
}

variable "metrics_namespace" {
  type        = string
  description = "CloudWatch metrics namespace of the functions (POWERTOOLS_METRICS_NAMESPACE), where the alarms and the dashboard read their metrics."
  default     = "MessageStatus"

  validation {
    condition     = can(regex("^[a-zA-Z0-9._#:/-]{1,255}$", var.metrics_namespace)) && !startswith(var.metrics_namespace, "AWS/")
    error_message = "metrics_namespace must be 1-255 characters of letters, digits and . _ # : / -, and must not start with AWS/."
  }
}

variable "lambda_environment_variables" {
  type        = map(string)
  description = "Extra environment variables for every function of the module (for example settings a Lambda layer of yours reads). The module's own variables cannot be overridden: names it sets (TABLE_NAME, RETENTION_DAYS, FUNCTION_TIMEOUT_SECONDS, SEARCH_SHARDS, CORRELATION_KEY, EVENT_BUS_NAME, EVENT_SOURCE, ARCHIVE_BUCKET, HEAL_MAX_ATTEMPTS, POWERTOOLS_*), names Lambda reserves (AWS_*, LAMBDA_*, _HANDLER, _X_AMZN_TRACE_ID, TZ) and names that are not valid environment variable names are refused."
  default     = {}

  validation {
    condition = alltrue([
      for key in keys(var.lambda_environment_variables) :
      can(regex("^[a-zA-Z][a-zA-Z0-9_]*$", key)) && !contains(["TABLE_NAME", "RETENTION_DAYS", "FUNCTION_TIMEOUT_SECONDS", "SEARCH_SHARDS", "CORRELATION_KEY", "EVENT_BUS_NAME", "EVENT_SOURCE", "ARCHIVE_BUCKET", "HEAL_MAX_ATTEMPTS", "TZ"], key) && !anytrue([for prefix in ["AWS_", "LAMBDA_", "POWERTOOLS_"] : startswith(key, prefix)])
    ])
    error_message = "lambda_environment_variables keys must be letters, digits and underscores starting with a letter, and must not be TABLE_NAME, RETENTION_DAYS, FUNCTION_TIMEOUT_SECONDS, SEARCH_SHARDS, CORRELATION_KEY, EVENT_BUS_NAME, EVENT_SOURCE, ARCHIVE_BUCKET, HEAL_MAX_ATTEMPTS or TZ, or start with AWS_, LAMBDA_ or POWERTOOLS_ (the module and Lambda set those)."
  }
}

variable "lambda_vpc_config" {
  type = object({
    subnet_ids         = list(string)
    security_group_ids = list(string)
  })
  description = "Run every function in your VPC: the subnets (in at least two Availability Zones for resilience) and security groups their network interfaces get. The functions then reach AWS only through the subnets, which need a VPC endpoint (or a NAT route) for each service their code calls, and the security groups HTTPS (443) out to them: com.amazonaws.<region>.dynamodb (transform, query and heal; a gateway endpoint is free), com.amazonaws.<region>.events (the stream function, with status events or webhooks: without it no event is published), com.amazonaws.<region>.email (the query's recipient page reads SES's suppression list there; without a route the page answers \"suppression state unknown\") com.amazonaws.<region>.s3 (the heal function, with heal_enabled, reads error objects and writes their archive lines; a gateway endpoint is free; without a route nothing heals and failed records wait in errors/ for msgstatus replay) and com.amazonaws.<region>.xray (every function's traces; without it only traces are lost). Logs and metrics, the table's stream, the heal queue and the on-failure queue need none: Lambda handles them outside the VPC. The output vpc_endpoint_services lists them per function. The execution roles get the network-interface permissions Lambda needs. Null (the default) runs the functions outside any VPC."
  default     = null

  validation {
    condition = var.lambda_vpc_config == null || (
      length(try(var.lambda_vpc_config.subnet_ids, [])) > 0
      && length(try(var.lambda_vpc_config.security_group_ids, [])) > 0
      && alltrue([for id in try(var.lambda_vpc_config.subnet_ids, []) : can(regex("^subnet-[0-9a-f]{8,17}$", id))])
      && alltrue([for id in try(var.lambda_vpc_config.security_group_ids, []) : can(regex("^sg-[0-9a-f]{8,17}$", id))])
    )
    error_message = "lambda_vpc_config needs at least one subnet id (subnet-...) and at least one security group id (sg-...)."
  }
}

################################################################################
# Each function: memory, timeout and reserved concurrency, named
# <function>_memory_mb, <function>_timeout_seconds, <function>_reserved_concurrency
################################################################################

variable "transform_memory_mb" {
  type        = number
  description = "Memory (MB, 128-10240) of the transform function. CPU grows with memory."
  default     = 256

  validation {
    condition     = var.transform_memory_mb >= 128 && var.transform_memory_mb <= 10240 && floor(var.transform_memory_mb) == var.transform_memory_mb
    error_message = "transform_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "transform_timeout_seconds" {
  type        = number
  description = "Timeout (seconds, 1-300) of the transform function. Firehose waits at most 5 minutes for its processor. The function sizes its SDK timeouts and retries (DynamoDB) to fit it."
  default     = 60

  validation {
    condition     = var.transform_timeout_seconds >= 1 && var.transform_timeout_seconds <= 300 && floor(var.transform_timeout_seconds) == var.transform_timeout_seconds
    error_message = "transform_timeout_seconds must be a whole number between 1 and 300 (Firehose's limit for a processor)."
  }
}

variable "transform_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the transform function, which also caps it; null (the default) reserves none. Firehose invokes its processor at most about once per shard-equivalent at a time, so a reservation mostly guarantees capacity. 0 throttles every invocation: Firehose then retries and sends the records to errors/."
  default     = null

  validation {
    condition     = var.transform_reserved_concurrency == null || try(var.transform_reserved_concurrency >= 0 && floor(var.transform_reserved_concurrency) == var.transform_reserved_concurrency, false)
    error_message = "transform_reserved_concurrency must be null or a whole number, 0 or more."
  }
}

variable "query_memory_mb" {
  type        = number
  description = "Memory (MB, 128-10240) of the query function. CPU grows with memory."
  default     = 256

  validation {
    condition     = var.query_memory_mb >= 128 && var.query_memory_mb <= 10240 && floor(var.query_memory_mb) == var.query_memory_mb
    error_message = "query_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "query_timeout_seconds" {
  type        = number
  description = "Timeout (seconds, 1-30) of the query function. API Gateway gives up after 30 s. The function sizes its SDK timeouts and retries (DynamoDB) to fit it."
  default     = 10

  validation {
    condition     = var.query_timeout_seconds >= 1 && var.query_timeout_seconds <= 30 && floor(var.query_timeout_seconds) == var.query_timeout_seconds
    error_message = "query_timeout_seconds must be a whole number between 1 and 30 (API Gateway's integration timeout)."
  }
}

variable "query_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the query function, which also caps it; null (the default) reserves none. The API stage's throttling (api_throttling_*) already bounds it. 0 throttles every request (the API answers 5xx)."
  default     = null

  validation {
    condition     = var.query_reserved_concurrency == null || try(var.query_reserved_concurrency >= 0 && floor(var.query_reserved_concurrency) == var.query_reserved_concurrency, false)
    error_message = "query_reserved_concurrency must be null or a whole number, 0 or more."
  }
}

variable "stream_memory_mb" {
  type        = number
  description = "Memory (MB, 128-10240) of the stream function. CPU grows with memory."
  default     = 256

  validation {
    condition     = var.stream_memory_mb >= 128 && var.stream_memory_mb <= 10240 && floor(var.stream_memory_mb) == var.stream_memory_mb
    error_message = "stream_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "stream_timeout_seconds" {
  type        = number
  description = "Timeout (seconds, 5-900) of the stream function. Lambda allows at most 15 minutes. The function sizes its SDK timeouts and retries (PutEvents) to fit it."
  default     = 30

  validation {
    condition     = var.stream_timeout_seconds >= 5 && var.stream_timeout_seconds <= 900 && floor(var.stream_timeout_seconds) == var.stream_timeout_seconds
    error_message = "stream_timeout_seconds must be a whole number between 5 and 900 (Lambda's limit)."
  }
}

variable "stream_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the stream function, which also caps it; null (the default) reserves none. The table stream's shards already bound it (one invocation per shard at a time). 0 throttles every invocation: Lambda retries each batch until the stream drops its records (24 hours), then reports the batch to the failure queue."
  default     = null

  validation {
    condition     = var.stream_reserved_concurrency == null || try(var.stream_reserved_concurrency >= 0 && floor(var.stream_reserved_concurrency) == var.stream_reserved_concurrency, false)
    error_message = "stream_reserved_concurrency must be null or a whole number, 0 or more."
  }
}

variable "heal_memory_mb" {
  type        = number
  description = "Memory (MB, 128-10240) of the heal function. CPU grows with memory. It reads an error object through a file in /tmp, so its memory does not grow with the object."
  default     = 256

  validation {
    condition     = var.heal_memory_mb >= 128 && var.heal_memory_mb <= 10240 && floor(var.heal_memory_mb) == var.heal_memory_mb
    error_message = "heal_memory_mb must be a whole number between 128 and 10240."
  }
}

variable "heal_timeout_seconds" {
  type        = number
  description = "Timeout (seconds, 10-900) of the heal function, which heals one error object per invocation. An object it cannot finish in time is replaced by its unread rest, healed by the next invocation. The function sizes its SDK timeouts and retries (DynamoDB, S3) to fit it. At most heal_retry_interval_seconds."
  default     = 120

  validation {
    condition     = var.heal_timeout_seconds >= 10 && var.heal_timeout_seconds <= 900 && floor(var.heal_timeout_seconds) == var.heal_timeout_seconds
    error_message = "heal_timeout_seconds must be a whole number between 10 and 900 (Lambda's limit)."
  }
}

variable "heal_reserved_concurrency" {
  type        = number
  description = "Concurrent executions reserved for the heal function, which also caps it; null (the default) reserves none. The heal queue's mapping never runs more than 5 at once (or this number, when lower), so that polls are never throttled: SQS counts a throttled poll as an attempt. At least 2 (the mapping's least); to stop healing, set heal_enabled = false."
  default     = null

  validation {
    condition     = var.heal_reserved_concurrency == null || try(var.heal_reserved_concurrency >= 2 && floor(var.heal_reserved_concurrency) == var.heal_reserved_concurrency, false)
    error_message = "heal_reserved_concurrency must be null or a whole number, 2 or more (Lambda's least maximum concurrency for an SQS mapping; set heal_enabled = false to stop healing)."
  }
}

################################################################################
# Healing: records failed by a transient store fault, written without a person
################################################################################

variable "heal_enabled" {
  type        = bool
  description = "Heal the records the transform failed because the table throttled, erred, was slow or unreachable: the archive bucket notifies a queue of each object Firehose writes to errors/processing-failed/, and a fourth function writes its records through the same store after heal_delay_seconds, retrying every heal_retry_interval_seconds up to heal_max_attempts times, then leaves it for `msgstatus replay` (and the messages-failed alarm). Records that can never be stored are parked once under errors/parked/. False leaves every failed record in errors/ for a person."
  default     = true
}

variable "heal_delay_seconds" {
  type        = number
  description = "How long (0-900 s) the heal queue holds a notification back before the first attempt, for a transient fault to clear. Counted from when Firehose writes the error object (within archive_buffer_interval_seconds of the failure)."
  default     = 60

  validation {
    condition     = var.heal_delay_seconds >= 0 && var.heal_delay_seconds <= 900 && floor(var.heal_delay_seconds) == var.heal_delay_seconds
    error_message = "heal_delay_seconds must be a whole number between 0 and 900 (SQS's longest delivery delay)."
  }
}

variable "heal_retry_interval_seconds" {
  type        = number
  description = "Time (30-43200 s) between two attempts at an object while the table still fails: the heal queue's visibility timeout. At least heal_timeout_seconds (Lambda refuses a shorter one)."
  default     = 300

  validation {
    condition     = var.heal_retry_interval_seconds >= 30 && var.heal_retry_interval_seconds <= 43200 && floor(var.heal_retry_interval_seconds) == var.heal_retry_interval_seconds
    error_message = "heal_retry_interval_seconds must be a whole number between 30 and 43200 (SQS's longest visibility timeout, 12 hours)."
  }
}

variable "heal_max_attempts" {
  type        = number
  description = "Attempts (1-1000) at an object before it is given up and left for a person: the heal queue's maxReceiveCount, after which its notification goes to the dead-letter queue. With the defaults an object is given up heal_delay_seconds + heal_max_attempts x heal_retry_interval_seconds = 60 + 6 x 300 s = 31 minutes after Firehose wrote it."
  default     = 6

  validation {
    condition     = var.heal_max_attempts >= 1 && var.heal_max_attempts <= 1000 && floor(var.heal_max_attempts) == var.heal_max_attempts
    error_message = "heal_max_attempts must be a whole number from 1 to 1000 (SQS's range for maxReceiveCount)."
  }
}

################################################################################
# Status-change events and webhooks
################################################################################

variable "status_events_enabled" {
  type        = bool
  description = "Publish a \"Message Status Changed\" event on EventBridge whenever a message's status or finality, or any recipient's status, changes: the table gets a stream (NEW_AND_OLD_IMAGES) read by a third function. Turned on by any webhook too. Costs one PutEvents entry per change (EventBridge bills custom events per 64 KB chunk) and the stream function's invocations."
  default     = false
}

variable "event_bus_name" {
  type        = string
  description = "Name of the EventBridge bus the events go to: the account's \"default\" bus, an existing bus of yours, or the bus the module creates when create_event_bus is true."
  default     = "default"

  validation {
    condition     = can(regex("^[A-Za-z0-9._-]{1,256}$", var.event_bus_name))
    error_message = "event_bus_name must be 1-256 letters, digits, dots, underscores or hyphens (a bus name, not an ARN)."
  }
}

variable "create_event_bus" {
  type        = bool
  description = "Create the bus named event_bus_name (encrypted with kms_key_arn when set) instead of publishing to an existing one."
  default     = false
}

variable "event_source" {
  type        = string
  description = "The source of the events, what rules match on (\"source\": [\"message-status\"]). Give each module instance its own to tell them apart on one bus."
  default     = "message-status"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]{1,256}$", var.event_source)) && !startswith(var.event_source, "aws.")
    error_message = "event_source must be 1-256 letters, digits, dots, slashes, underscores or hyphens, and must not start with aws. (reserved for AWS services)."
  }
}

variable "stream_batch_size" {
  type        = number
  description = "Most table changes the stream function gets per invocation (1-1000)."
  default     = 100

  validation {
    condition     = var.stream_batch_size >= 1 && var.stream_batch_size <= 1000 && floor(var.stream_batch_size) == var.stream_batch_size
    error_message = "stream_batch_size must be a whole number from 1 to 1000."
  }
}

variable "stream_maximum_retry_attempts" {
  type        = number
  description = "How many times Lambda retries a batch whose events could not all be put (0-10000), bisecting it, before it sends the batch's description to the on-failure queue and moves on. The stream keeps records 24 hours, whatever this says."
  default     = 10

  validation {
    condition     = var.stream_maximum_retry_attempts >= 0 && var.stream_maximum_retry_attempts <= 10000 && floor(var.stream_maximum_retry_attempts) == var.stream_maximum_retry_attempts
    error_message = "stream_maximum_retry_attempts must be a whole number from 0 to 10000."
  }
}

variable "webhooks" {
  type = map(object({
    url                       = string
    statuses                  = optional(list(string), [])
    channels                  = optional(list(string), [])
    final_only                = optional(bool, false)
    event_pattern             = optional(string)
    rate_limit_per_second     = optional(number, 10)
    maximum_event_age_seconds = optional(number, 86400)
    maximum_retry_attempts    = optional(number, 185)
    auth = object({
      type                   = string
      api_key_name           = optional(string)
      username               = optional(string)
      client_id              = optional(string)
      authorization_endpoint = optional(string)
      oauth_http_method      = optional(string, "POST")
      secret_arn             = optional(string)
    })
  }))
  description = "HTTPS endpoints that receive the status-change events through EventBridge API destinations (EventBridge signs, rate-limits and retries; there is no sender of the module's own). Key: a short name. Per webhook: url (https); a filter, either statuses (each change of the message's status to one of them; values of the status model: PENDING, SENT, DELAYED, SOFT_BOUNCED, DELIVERED, OPENED, CLICKED, UNSUBSCRIBED, COMPLAINED, SUPPRESSED, HARD_BOUNCED, REJECTED, RENDERING_FAILED, FAILED, OPTED_OUT), channels (email, sms, mms, voice) and final_only (with statuses: only while the message is final; alone: once per message, the change that made it final, never the opens, clicks or recipient changes after it), or a whole event_pattern (JSON) of your own; rate_limit_per_second (1-300); maximum_event_age_seconds (60-86400) and maximum_retry_attempts (0-185) before an event goes to the webhook's dead-letter queue; auth: type API_KEY (api_key_name, the header), BASIC (username) or OAUTH_CLIENT_CREDENTIALS (client_id, authorization_endpoint, oauth_http_method), with the secret (key value, password or client secret) in webhook_secrets under the same name or in the Secrets Manager secret auth.secret_arn, whose whole SecretString Terraform reads through a data source and keeps in its state (as it keeps webhook_secrets: EventBridge takes the value only as a connection parameter and keeps it in a secret of its own). Any webhook turns status events on."
  default     = {}

  validation {
    condition = alltrue([
      for name, hook in var.webhooks :
      can(regex("^[a-z0-9-]{1,20}$", name)) && startswith(hook.url, "https://")
    ])
    error_message = "webhooks keys must be 1-20 lower-case letters, digits or hyphens, and every url must start with https://."
  }

  validation {
    condition = alltrue([
      for hook in values(var.webhooks) :
      contains(["API_KEY", "BASIC", "OAUTH_CLIENT_CREDENTIALS"], hook.auth.type) &&
      (hook.auth.type != "API_KEY" || hook.auth.api_key_name != null) &&
      (hook.auth.type != "BASIC" || hook.auth.username != null) &&
      (hook.auth.type != "OAUTH_CLIENT_CREDENTIALS" || (hook.auth.client_id != null && startswith(coalesce(hook.auth.authorization_endpoint, "-"), "https://")))
    ])
    error_message = "Each webhook's auth.type must be API_KEY (with api_key_name), BASIC (with username) or OAUTH_CLIENT_CREDENTIALS (with client_id and an https authorization_endpoint)."
  }

  validation {
    condition = alltrue([
      for hook in values(var.webhooks) :
      hook.rate_limit_per_second >= 1 && hook.rate_limit_per_second <= 300 &&
      hook.maximum_event_age_seconds >= 60 && hook.maximum_event_age_seconds <= 86400 &&
      hook.maximum_retry_attempts >= 0 && hook.maximum_retry_attempts <= 185
    ])
    error_message = "Each webhook's rate_limit_per_second must be 1-300, maximum_event_age_seconds 60-86400 and maximum_retry_attempts 0-185 (EventBridge's limits)."
  }

  # The statuses of message_status.model.Status, in its order (Terraform cannot
  # import the model: tests/terraform/test_plan_events.py keeps the two in step).
  validation {
    condition = alltrue([
      for hook in values(var.webhooks) :
      alltrue([for status in hook.statuses : contains(["PENDING", "SENT", "DELAYED", "SOFT_BOUNCED", "DELIVERED", "OPENED", "CLICKED", "UNSUBSCRIBED", "COMPLAINED", "SUPPRESSED", "HARD_BOUNCED", "REJECTED", "RENDERING_FAILED", "FAILED", "OPTED_OUT"], status)])
    ])
    error_message = "Each webhook's statuses must be among PENDING, SENT, DELAYED, SOFT_BOUNCED, DELIVERED, OPENED, CLICKED, UNSUBSCRIBED, COMPLAINED, SUPPRESSED, HARD_BOUNCED, REJECTED, RENDERING_FAILED, FAILED, OPTED_OUT (a status no event has never matches)."
  }

  validation {
    condition = alltrue([
      for hook in values(var.webhooks) :
      alltrue([for channel in hook.channels : contains(["email", "sms", "mms", "voice"], channel)]) &&
      (hook.event_pattern == null || can(jsondecode(hook.event_pattern))) &&
      (hook.event_pattern == null || (length(hook.statuses) == 0 && length(hook.channels) == 0 && !hook.final_only))
    ])
    error_message = "Each webhook's channels must be email, sms, mms or voice; event_pattern must be JSON, and replaces statuses, channels and final_only (give one or the other)."
  }
}

variable "webhook_secrets" {
  type        = map(string)
  description = "The secret of each webhook without auth.secret_arn, by webhook name: its API key value, basic-auth password or OAuth client secret. EventBridge keeps it in a Secrets Manager secret of its own; Terraform keeps it in its state, so protect the state."
  default     = {}
  sensitive   = true
}

################################################################################
# Analytics
################################################################################

variable "analytics_enabled" {
  type        = bool
  description = "Create a Glue table over the archive (partition projection on its dates: no crawler), an Athena workgroup whose results go to the archive bucket's athena-results/ prefix, encrypted, and named queries for the questions operators ask (rates, bounces by domain, SMS failures and spend by country, delivery latency, outcomes per campaign)."
  default     = true
}

variable "athena_bytes_scanned_cutoff_per_query" {
  type        = number
  description = "Most bytes one query in the workgroup may scan before Athena cancels it (at least 10 MB). Athena bills per TB scanned; the default, 10 GiB, is a few cents."
  default     = 10737418240

  validation {
    condition     = var.athena_bytes_scanned_cutoff_per_query >= 10485760 && floor(var.athena_bytes_scanned_cutoff_per_query) == var.athena_bytes_scanned_cutoff_per_query
    error_message = "athena_bytes_scanned_cutoff_per_query must be a whole number of bytes, at least 10485760 (10 MB, Athena's minimum)."
  }
}

variable "athena_query_window_days" {
  type        = number
  description = "How many days back each named query reads: every one filters on the partition column dt from that many days before today, so its scan grows with the window, not with the archive. Athena's named queries take no parameters, so the window is written into their SQL: change it here and apply, or run a copy with another INTERVAL. 1 to 3650."
  default     = 30

  validation {
    condition     = var.athena_query_window_days >= 1 && var.athena_query_window_days <= 3650 && floor(var.athena_query_window_days) == var.athena_query_window_days
    error_message = "athena_query_window_days must be a whole number of days from 1 to 3650."
  }
}

variable "athena_results_retention_days" {
  type        = number
  description = "How many days Athena's result files are kept under athena-results/ in the archive bucket."
  default     = 7

  validation {
    condition     = var.athena_results_retention_days >= 1 && floor(var.athena_results_retention_days) == var.athena_results_retention_days
    error_message = "athena_results_retention_days must be a whole number of days, 1 or more."
  }
}

################################################################################
# Alarms and dashboard
################################################################################

variable "alarms" {
  type = object({
    enabled             = optional(bool, true)
    actions             = optional(list(string), [])
    email_subscriptions = optional(list(string), [])
    thresholds = optional(object({
      firehose_freshness_seconds    = optional(number, 900)
      transform_duration_percent    = optional(number, 80)
      records_invalid               = optional(number, 10)
      api_5xx_percent               = optional(number, 1)
      api_p99_latency_ms            = optional(number, 2000)
      stream_iterator_age_seconds   = optional(number, 300)
      email_bounce_rate_percent     = optional(number, 2)
      email_complaint_rate_percent  = optional(number, 0.05)
      sms_failure_rate_percent      = optional(number, 5)
      mms_failure_rate_percent      = optional(number, 5)
      voice_failure_rate_percent    = optional(number, 25)
      minimum_recipients_for_a_rate = optional(number, 100)
    }), {})
  })
  description = "CloudWatch alarms on the pipeline, each with a description of what to do when it fires. enabled (default true); actions: SNS topic ARNs notified on ALARM and OK; email_subscriptions: addresses subscribed to an SNS topic the module creates, encrypted with a KMS key of its own that CloudWatch may use (CloudWatch cannot publish to a topic under the AWS-managed SNS key; about $1 a month); thresholds: firehose_freshness_seconds (900: the oldest record waiting for S3), transform_duration_percent (80, of the transform's timeout), records_invalid (10 unparseable records in 5 minutes), api_5xx_percent (1), api_p99_latency_ms (2000), stream_iterator_age_seconds (300), email_bounce_rate_percent (2: Amazon SES places an account under review at a 5% bounce rate and may pause sending at 10%, SES Developer Guide, sending review process FAQs), email_complaint_rate_percent (0.05: SES reviews at 0.1% and may pause at 0.5%, same page), sms_failure_rate_percent (5: no service limit; a carrier or number problem), mms_failure_rate_percent (5, as SMS), voice_failure_rate_percent (25: busy and unanswered calls are failures, and common), minimum_recipients_for_a_rate (100: an hour with fewer sends raises no rate alarm). Rates are per recipient over one hour."
  default     = {}

  validation {
    condition     = alltrue([for arn in var.alarms.actions : can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]{1,256}$", arn))])
    error_message = "alarms.actions must be SNS topic ARNs, such as arn:aws:sns:us-east-1:123456789012:ops."
  }

  validation {
    condition     = alltrue([for address in var.alarms.email_subscriptions : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alarms.email_subscriptions must be email addresses."
  }

  validation {
    condition = alltrue([
      var.alarms.thresholds.transform_duration_percent > 0 && var.alarms.thresholds.transform_duration_percent <= 100,
      var.alarms.thresholds.api_5xx_percent > 0 && var.alarms.thresholds.api_5xx_percent <= 100,
      var.alarms.thresholds.email_bounce_rate_percent > 0 && var.alarms.thresholds.email_bounce_rate_percent < 5,
      var.alarms.thresholds.email_complaint_rate_percent > 0 && var.alarms.thresholds.email_complaint_rate_percent < 0.1,
      var.alarms.thresholds.sms_failure_rate_percent > 0 && var.alarms.thresholds.sms_failure_rate_percent <= 100,
      var.alarms.thresholds.mms_failure_rate_percent > 0 && var.alarms.thresholds.mms_failure_rate_percent <= 100,
      var.alarms.thresholds.voice_failure_rate_percent > 0 && var.alarms.thresholds.voice_failure_rate_percent <= 100,
      var.alarms.thresholds.firehose_freshness_seconds >= 60,
      var.alarms.thresholds.records_invalid >= 0,
      var.alarms.thresholds.api_p99_latency_ms > 0,
      var.alarms.thresholds.stream_iterator_age_seconds > 0,
      var.alarms.thresholds.minimum_recipients_for_a_rate >= 1,
    ])
    error_message = "alarms.thresholds: percentages must be within (0, 100]; the email bounce rate must stay below 5% and the complaint rate below 0.1% (where SES starts a review, or the alarm comes too late); firehose_freshness_seconds at least 60; the others positive."
  }
}

variable "dashboard_enabled" {
  type        = bool
  description = "Create a CloudWatch dashboard: throughput in and out, recipient events per status, the deliverability rates, errors, and the delay from Firehose ingest to table write."
  default     = true
}

################################################################################
# API
################################################################################

variable "api_authorization_type" {
  type        = string
  description = "How callers of the HTTP API authenticate: \"AWS_IAM\" (SigV4, the default), \"JWT\" (needs jwt_issuer and jwt_audience) or \"NONE\". NONE makes every message's status, including recipients' addresses, readable by anyone who has the URL and a message id: choose it only behind another control."
  default     = "AWS_IAM"

  validation {
    condition     = contains(["AWS_IAM", "JWT", "NONE"], var.api_authorization_type)
    error_message = "api_authorization_type must be AWS_IAM, JWT or NONE."
  }
}

variable "jwt_issuer" {
  type        = string
  description = "Issuer URL of the JWT authorizer (for example a Cognito user pool or an OIDC provider, https://...). Required when api_authorization_type is JWT."
  default     = null

  validation {
    condition     = var.jwt_issuer == null || can(regex("^https://", var.jwt_issuer))
    error_message = "jwt_issuer must be an https:// URL."
  }
}

variable "jwt_audience" {
  type        = list(string)
  description = "Audiences (client IDs) a JWT must carry. Required, non-empty, when api_authorization_type is JWT."
  default     = []
}

variable "api_throttling_burst_limit" {
  type        = number
  description = "Most concurrent requests the API's default stage accepts before it answers 429."
  default     = 100

  validation {
    condition     = var.api_throttling_burst_limit >= 0 && floor(var.api_throttling_burst_limit) == var.api_throttling_burst_limit
    error_message = "api_throttling_burst_limit must be a whole number, 0 or more."
  }
}

variable "api_throttling_rate_limit" {
  type        = number
  description = "Steady-state requests per second the API's default stage accepts before it answers 429."
  default     = 50

  validation {
    condition     = var.api_throttling_rate_limit >= 0
    error_message = "api_throttling_rate_limit must be 0 or more."
  }
}
