"""The synthetic report mails of the demo, one module per product (see `demo.generators`)."""
