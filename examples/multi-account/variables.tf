variable "name" {
  type        = string
  description = "Prefix for the names of the resources this example creates."
  default     = "msgstatus-multi"
}

variable "hub_region" {
  type        = string
  description = "AWS Region of the hub: the one table, API and console."
  default     = "us-east-1"
}

variable "shop_account_id" {
  type        = string
  description = "AWS account id of the first sender account (the shop provider's). The hub's bus admits it by this id."
  default     = "111111111111"
}

variable "shop_region" {
  type        = string
  description = "AWS Region the first sender account sends from."
  default     = "eu-west-1"
}

variable "billing_account_id" {
  type        = string
  description = "AWS account id of the second sender account (the billing provider's)."
  default     = "222222222222"
}

variable "billing_region" {
  type        = string
  description = "AWS Region the second sender account sends from."
  default     = "ap-southeast-2"
}
