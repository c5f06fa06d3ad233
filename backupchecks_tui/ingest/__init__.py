"""Ingest: raw mail from IMAP or files → stored mail → parsers → jobs, runs and objects."""
