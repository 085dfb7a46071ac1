# From one Amazon Pinpoint project to SES and End User Messaging SMS v2
# configuration sets, on the same module instance: the same table, archive
# and API, so the application keeps asking the same questions and getting the
# same answers. docs/migrating-from-pinpoint.md gives the order of the steps;
# each is one apply of this configuration:
#
#   1. with pinpoint_application_id set: the project's event stream keeps
#      running while the two configuration sets are added as sources (and you
#      add the SMS event destination, see the README);
#   2. your application sends with the configuration sets (no apply);
#   3. with pinpoint_application_id = null, once nothing sent through
#      Pinpoint can still produce events: the project's stream and its role go,
#      nothing else changes.

locals {
  tags = merge(var.tags, { Example = "per-project" })
}

# Email: SES SendEmail with ConfigurationSetName = this set's name.
resource "aws_sesv2_configuration_set" "email" {
  configuration_set_name = "${var.name}-email"
  tags                   = local.tags
}

# SMS: End User Messaging SMS v2 SendTextMessage with ConfigurationSetName =
# this set's name. Its event destination needs aws provider >= 6.48: the module
# creates the role, and the README shows the destination.
resource "aws_pinpointsmsvoicev2_configuration_set" "sms" {
  name = "${var.name}-sms"
  tags = local.tags
}

module "message_status" {
  source = "../../"

  name = var.name

  # Step 1: the new sources, alongside the project's stream.
  ses_configuration_set_names = [aws_sesv2_configuration_set.email.configuration_set_name]
  sms_configuration_set_names = [aws_pinpointsmsvoicev2_configuration_set.sms.name]

  # Deprecated input (the plan warns while it is set); step 3 empties it.
  pinpoint_application_ids = var.pinpoint_application_id == null ? [] : [var.pinpoint_application_id]

  # The key your application put its own id under in Pinpoint's message
  # Context: the same key names the SES message tag and the SMS v2 Context
  # entry, so GET /messages?correlation_id=... finds old and new messages alike.
  correlation_key = var.correlation_key

  message_retention_days = var.message_retention_days

  tags = local.tags
}
