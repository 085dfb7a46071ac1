# A Kinesis data stream that already carries events (for example a Pinpoint
# project's event stream, which a project can have only one of), encrypted
# with the example's key. The module reads it as one more consumer, through a
# delivery stream of its own; the stream's other consumers are untouched.
resource "aws_kinesis_stream" "events" {
  name             = "${var.name}-pinpoint-events"
  retention_period = 24
  encryption_type  = "KMS"
  kms_key_id       = aws_kms_key.this.arn

  stream_mode_details {
    stream_mode = "ON_DEMAND"
  }
}
