"""Getting data in and out: file readers, column mapping, validation, upserts, export."""
