# One Amazon Pinpoint project, its events streamed into the message status
# pipeline, and an HTTP API that callers reach with SigV4 (AWS_IAM).

resource "aws_pinpoint_app" "this" {
  name = var.name
}

module "message_status" {
  source = "../../"

  name                  = var.name
  pinpoint_applications = { (var.name) = aws_pinpoint_app.this.application_id }

  # Lets `terraform destroy` remove the archive bucket with its objects; keep
  # the default (false) for data you care about.
  force_destroy = true

  tags = {
    Example = "basic"
  }
}
