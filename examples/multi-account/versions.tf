terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.72"
    }
  }
}

# The hub's account and Region.
provider "aws" {
  region = var.hub_region
}

# Each sender account. Here every provider uses the same credentials; in your
# organization give each one the account's role, for example
#   assume_role { role_arn = "arn:aws:iam::${var.shop_account_id}:role/terraform" }
provider "aws" {
  alias  = "shop"
  region = var.shop_region
}

provider "aws" {
  alias  = "billing"
  region = var.billing_region
}
