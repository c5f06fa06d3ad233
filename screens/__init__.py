"""The Textual application: modes, screens, dialogs and widgets."""
