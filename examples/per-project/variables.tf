variable "region" {
  type        = string
  description = "AWS Region to deploy into."
  default     = "us-east-1"
}

variable "projects" {
  type = map(object({
    retention_days = optional(number, 90)
    tags           = optional(map(string), {})
  }))
  description = "Pinpoint projects to create, keyed by a short name (lowercase letters, digits, hyphens) that also prefixes that project's message status resources."
  default = {
    "shop-mail" = { retention_days = 30 }
    "alerts"    = { tags = { Team = "oncall" } }
  }
}
