"""Services: the application's use cases on top of the store (no Textual, no SQL in screens)."""
