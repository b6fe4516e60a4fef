// Package schematest holds the test that the SQLite and PostgreSQL
// migrations (internal/store/sqlite/migrations and
// internal/store/postgres/migrations) define the same schema: the same
// migration files, tables, columns, primary keys, indexes, unique
// constraints and foreign keys, modulo each database's spelling of types
// and defaults. It has no code of its own: it sits apart from both
// backends so that it may open both without either importing the other.
package schematest
