"""The one place that talks to the database: schema, migrations and repositories."""
