"""Processing pipelines: derived features per dataset version, cached by content.

The modules here are pure Python (no Django): `steps` declares steps, `dag` orders them, `keys`
derives cache keys, `runner` plans and executes work units over a `Store`, `sql` queries a
version's Parquet tables with DuckDB, and `builtin` holds the steps Loupe ships.
"""
