"""Value types shared by every layer: names, distributions, requirements, target environments."""
