variable "create" {
  type        = bool
  description = "Whether to create any resources. Set to false to keep a module block in place while deploying nothing."
  default     = true
}

variable "name" {
  type        = string
  description = "Prefix of the names of the forwarding rules (<name>-ses-to-hub, <name>-sms-to-hub) and role (<name>-forward-to-hub-<region>), so that several instances can live in one account and Region. 1 to 32 characters: lowercase letters, digits and hyphens, starting and ending with a letter or digit."
  default     = "message-status"

  validation {
    condition     = can(regex("^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$", var.name))
    error_message = "name must be 1-32 characters of lowercase letters, digits and hyphens, and start and end with a letter or digit."
  }
}

variable "hub_event_bus_arn" {
  type        = string
  description = "ARN of the hub instance's sender bus (its senders_event_bus_arn output), in the hub's account and Region. The hub must name this account in sender_account_ids, or its organization in sender_organization_id."

  validation {
    condition     = can(regex("^arn:aws[a-zA-Z-]*:events:[a-z0-9-]+:[0-9]{12}:event-bus/[A-Za-z0-9._-]{1,256}$", var.hub_event_bus_arn))
    error_message = "hub_event_bus_arn must be an EventBridge bus ARN such as arn:aws:events:us-east-1:123456789012:event-bus/message-status-senders."
  }
}

variable "ses_configuration_set_names" {
  type        = set(string)
  description = "Names of existing Amazon SES (v2) configuration sets in this account and Region whose events go to the hub: each gets an event destination to the account's default bus (the only bus SES publishes to), and the forwarding rule takes only the events of these sets (their ses:configuration-set tag). Empty for none."
  default     = []

  validation {
    condition     = alltrue([for n in var.ses_configuration_set_names : can(regex("^[a-zA-Z0-9_-]{1,64}$", n))])
    error_message = "Each SES configuration set name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "ses_event_destination_name" {
  type        = string
  description = "Name of the event destination added to each SES configuration set."
  default     = "message-status-eventbridge"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.ses_event_destination_name))
    error_message = "ses_event_destination_name must be 1-64 letters, digits, hyphens or underscores."
  }
}

variable "sms_enabled" {
  type        = bool
  description = "Forward the SMS, MMS and voice status events that AWS End User Messaging SMS sends to this account's default bus (best effort, and without the destination phone number or the message's Context: see the README) to the hub."
  default     = true
}

variable "iam_role_path" {
  type        = string
  description = "Path of the forwarding role. Must begin and end with a slash."
  default     = "/"

  validation {
    condition     = can(regex("^/([\\x21-\\x7E]{0,510}/)?$", var.iam_role_path))
    error_message = "iam_role_path must be / or a path that begins and ends with a slash (printable ASCII, at most 512 characters)."
  }
}

variable "iam_permissions_boundary_arn" {
  type        = string
  description = "ARN of an IAM managed policy set as the permissions boundary of the forwarding role. Null sets none."
  default     = null

  validation {
    condition     = var.iam_permissions_boundary_arn == null || can(regex("^arn:aws[a-zA-Z-]*:iam::[0-9]{12}:policy/.+$", var.iam_permissions_boundary_arn))
    error_message = "iam_permissions_boundary_arn must be null or an IAM policy ARN such as arn:aws:iam::123456789012:policy/boundary."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every taggable resource the module creates."
  default     = {}
}
