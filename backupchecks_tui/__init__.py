"""backupchecks-tui: review backup report mails from the terminal."""
