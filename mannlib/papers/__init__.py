"""The papers the book reproduces: each one's reported settings and numbers, typed once and cited."""
