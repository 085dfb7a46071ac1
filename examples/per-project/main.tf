# One message status pipeline per Pinpoint project: each project gets its own
# stream, table, API and retention, so teams can own and delete theirs alone.

resource "aws_pinpoint_app" "this" {
  for_each = var.projects

  name = each.key
}

module "message_status" {
  source   = "../../"
  for_each = var.projects

  name                   = "msgstatus-${each.key}"
  pinpoint_applications  = { (each.key) = aws_pinpoint_app.this[each.key].application_id }
  message_retention_days = each.value.message_retention_days

  tags = merge(each.value.tags, {
    Example = "per-project"
    Project = each.key
  })
}
