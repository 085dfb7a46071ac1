# One place to look for many accounts and Regions: a hub instance of the module
# in one account, and two sender accounts, each in a Region of its own, that
# forward their SES and End User Messaging SMS events to it through EventBridge
# (modules/sender-account). Every message answers from the hub's API with the
# account and Region it was sent from, and searches filter on them
# (GET /messages?recipient=...&account=111111111111&region=eu-west-1).

module "message_status" {
  source = "../../"

  name = var.name

  # The hub's bus admits events from these accounts only, and only the SES
  # and End User Messaging events the module reads. An organization instead:
  # sender_organization_id = "o-..."
  sender_account_ids = [var.shop_account_id, var.billing_account_id]

  correlation_key = "order_id"

  # Lets `terraform destroy` remove the archive bucket with its objects; keep
  # the default (false) for data you care about.
  force_destroy = true

  tags = {
    Example = "multi-account"
  }
}

# The shop's account: its configuration set's events, and its SMS status events.
resource "aws_sesv2_configuration_set" "shop" {
  provider = aws.shop

  configuration_set_name = "${var.name}-shop"
}

module "shop" {
  source = "../../modules/sender-account"
  providers = {
    aws = aws.shop
  }

  name                        = var.name
  hub_event_bus_arn           = module.message_status.senders_event_bus_arn
  ses_configuration_set_names = [aws_sesv2_configuration_set.shop.configuration_set_name]

  tags = {
    Example = "multi-account"
  }
}

# The billing account: email only.
resource "aws_sesv2_configuration_set" "billing" {
  provider = aws.billing

  configuration_set_name = "${var.name}-billing"
}

module "billing" {
  source = "../../modules/sender-account"
  providers = {
    aws = aws.billing
  }

  name                        = var.name
  hub_event_bus_arn           = module.message_status.senders_event_bus_arn
  ses_configuration_set_names = [aws_sesv2_configuration_set.billing.configuration_set_name]
  sms_enabled                 = false

  tags = {
    Example = "multi-account"
  }
}
