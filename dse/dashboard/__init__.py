"""dse.dashboard: the Plotly/Dash web app, the HTML report and their figure builders (read-only on storage)."""
