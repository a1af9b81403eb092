"""Where kdviz keeps things and runs them: its home folder, SQLite, the result cache, the offload process, progress bars."""
