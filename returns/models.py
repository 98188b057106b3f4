"""Models of this component (see ../shared/SPEC.md)."""
