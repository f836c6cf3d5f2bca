"""Cross-cutting web concerns: htmx helpers, errors, filters, security headers."""
