variable "region" {
  type        = string
  description = "AWS Region to deploy into: the Region of the Pinpoint project."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix of the names of the module's resources and of the two configuration sets (<name>-email, <name>-sms)."
  default     = "msgstatus-migrate"
}

variable "pinpoint_application_id" {
  type        = string
  description = "ID of the Amazon Pinpoint project whose event stream still runs (step 1 of docs/migrating-from-pinpoint.md), or null once it is dropped (step 3)."
  default     = null

  validation {
    condition     = var.pinpoint_application_id == null || can(regex("^[a-zA-Z0-9]{1,64}$", var.pinpoint_application_id))
    error_message = "pinpoint_application_id must be null or a project ID (letters and digits, for example 0123456789abcdef0123456789abcdef)."
  }
}

variable "correlation_key" {
  type        = string
  description = "The key of your own id in Pinpoint's message Context, kept as the SES message tag name and the SMS v2 Context key; null indexes none."
  default     = "order_id"
}

variable "message_retention_days" {
  type        = number
  description = "How many days a message's status is kept after it was sent (the module's message_retention_days)."
  default     = 90
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
