"""What a run means at a glance: the comparison table, labelled trade-off charts, where answers
diverge, why a variant is chosen, and a one-page summary. Pure functions over reports, shared by
the dashboard and `evalharness summary`."""
