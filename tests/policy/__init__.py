"""Organisation package policy: parsing, layering, enforcement in the resolver, lock checks."""
