"""Voice enrollment: recording scripts, import and quality checks, alignment, bank building."""
