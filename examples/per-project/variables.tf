variable "region" {
  type        = string
  description = "AWS Region to deploy into."
  default     = "us-east-1"
}

variable "projects" {
  type = map(object({
    message_retention_days = optional(number, 90)
    tags                   = optional(map(string), {})
  }))
  description = "Pinpoint projects to create, keyed by a short name (lowercase letters, digits, hyphens) that also prefixes that project's message status resources."
  default = {
    "shop-mail" = { message_retention_days = 30 }
    "alerts"    = { tags = { Team = "oncall" } }
  }

  validation {
    condition     = alltrue([for key in keys(var.projects) : can(regex("^[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?$", key))])
    error_message = "Project keys must be 1-22 lowercase letters, digits and hyphens (they prefix resource names as msgstatus-<key>)."
  }
}
