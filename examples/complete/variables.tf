variable "region" {
  type        = string
  description = "AWS Region to deploy into."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix for the names of the resources this example creates."
  default     = "msgstatus-complete"
}

variable "jwt_issuer" {
  type        = string
  description = "Issuer URL of the identity provider whose tokens the API accepts (for example https://cognito-idp.us-east-1.amazonaws.com/us-east-1_EXAMPLE)."
  default     = "https://auth.example.com/"
}

variable "jwt_audience" {
  type        = list(string)
  description = "Client IDs the API accepts tokens for."
  default     = ["message-status-readers"]
}

variable "sms_configuration_set_names" {
  type        = set(string)
  description = "Existing AWS End User Messaging SMS configuration sets whose events the pipeline should receive."
  default     = ["transactional-sms"]
}

variable "vpc_subnet_ids" {
  type        = list(string)
  description = "Subnets to attach both functions to (with routes to DynamoDB, CloudWatch Logs and X-Ray); empty runs them outside any VPC."
  default     = []
}

variable "vpc_security_group_ids" {
  type        = list(string)
  description = "Security groups of the functions' network interfaces, when vpc_subnet_ids is set."
  default     = []
}

variable "webhook_url" {
  type        = string
  description = "HTTPS endpoint that receives Message Status Changed events for final failures."
  default     = "https://hooks.example.com/message-status"
}

variable "webhook_api_key" {
  type        = string
  description = "Value of the x-webhook-key header the webhook endpoint expects."
  default     = "change-me"
  sensitive   = true
}
