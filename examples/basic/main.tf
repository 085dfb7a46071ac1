# The way most new users start: an Amazon SES configuration set whose events
# feed the message status pipeline, and an HTTP API that callers reach with
# SigV4 (AWS_IAM, the module's default). Send email with this configuration
# set (ConfigurationSetName) and look each message up by the id SES returned,
# by recipient, or by the order id you tag it with (EmailTags order_id).

resource "aws_sesv2_configuration_set" "this" {
  configuration_set_name = var.name
}

module "message_status" {
  source = "../../"

  name                        = var.name
  ses_configuration_set_names = [aws_sesv2_configuration_set.this.configuration_set_name]

  # GET /messages?correlation_id=ORD-1042 finds the messages sent with the
  # message tag order_id = ORD-1042.
  correlation_key = "order_id"

  # A "Message Status Changed" event on the account's default bus for every
  # change: route it with an EventBridge rule (see the README).
  status_events_enabled = true

  # Lets `terraform destroy` remove the archive bucket with its objects; keep
  # the default (false) for data you care about.
  force_destroy = true

  tags = {
    Example = "basic"
  }
}
