"""Vulnerability audit: OSV advisories, matching, findings, fixes and licences."""
