"""dashboards: Plotly/Dash app and figure builders (read-only on storage)."""
