"""Work run in a child process within a deadline (``calls``), and the OpenAPI document
checks whose validator runs there (``openapi``)."""
