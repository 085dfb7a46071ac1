variable "region" {
  type        = string
  description = "AWS Region to deploy into."
  default     = "us-east-1"
}

variable "name" {
  type        = string
  description = "Prefix for the names of the resources this example creates."
  default     = "msgstatus-basic"
}
