# No inputs: this module holds constants only (outputs.tf).
