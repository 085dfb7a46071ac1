terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # event_bridge_destination on aws_sesv2_configuration_set_event_destination
      # arrived in 5.60 (hashicorp/terraform-provider-aws#38458); the root module's floor.
      version = ">= 5.72"
    }
  }
}
