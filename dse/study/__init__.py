"""dse.study."""
