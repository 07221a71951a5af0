"""PostgreSQL: the storage backend many workers on many machines share."""
