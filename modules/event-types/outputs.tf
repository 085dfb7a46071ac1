################################################################################
# The delivery events the module reads: one definition for the hub (the root
# module) and for every sender account (modules/sender-account). A hub's bus
# admits exactly what its senders forward, so the two lists must never drift.
# No resources, no providers: constants only.
################################################################################

output "ses_event_types" {
  description = "The SES event types a configuration set publishes to the module, Firehose or EventBridge (SES API v2, EventDestination's MatchingEventTypes)."
  value = [
    "SEND",
    "REJECT",
    "BOUNCE",
    "COMPLAINT",
    "DELIVERY",
    "OPEN",
    "CLICK",
    "RENDERING_FAILURE",
    "DELIVERY_DELAY",
    "SUBSCRIPTION",
  ]
}

output "eventbridge_detail_types" {
  description = "The detail-types the module reads from EventBridge, by source (EventBridge events reference: \"Amazon Simple Email Service events\" and \"AWS End User Messaging SMS-Voice events\")."
  value = {
    "aws.ses" = [
      "Email Sent",
      "Email Delivered",
      "Email Bounced",
      "Email Complaint Received",
      "Email Rejected",
      "Email Opened",
      "Email Clicked",
      "Email Rendering Failed",
      "Email Delivery Delayed",
      "Email Subscribed",
    ]
    "aws.sms-voice" = [
      "Text Message Delivery Status Updated",
      "Media Message Delivery Status Updated",
      "Voice Message Delivery Status Updated",
    ]
  }
}
