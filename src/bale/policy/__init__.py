"""Organisation policy: rules that decide which packages, versions, sources and licences are allowed."""
