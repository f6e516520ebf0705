"""Storage with SQLModel: the tables, the database connection, and the queries."""
