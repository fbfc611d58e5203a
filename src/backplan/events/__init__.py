"""The event table: what reps did and achieved, stored for the embedded default as Parquet."""
