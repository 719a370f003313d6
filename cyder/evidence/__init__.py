"""Evidence: the range's log lines as normalised events, and their ingestion and search."""
