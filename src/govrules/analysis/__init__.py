"""What can be proved or reported about packs themselves: consistency (gaps, overlaps, monotonicity),
`diff` between two measures, lint, and article coverage."""
